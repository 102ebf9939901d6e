"""Electronic tendering (电子招标投标): announcements, documents, sealed bids, opening."""
