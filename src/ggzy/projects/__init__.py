"""Project entry (项目入场, 应进必进): projects, tender projects, sections/lots, imports."""
