// 交易统计 charts (ECharts from our own static files). Data comes from a json_script block.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("stats-series");
    if (!el || !window.echarts) { return; }
    var s = JSON.parse(el.textContent);
    var volume = window.echarts.init(document.getElementById("chart-volume"));
    volume.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["招标数", "中标数"] },
      grid: { left: 40, right: 16, bottom: 40 },
      xAxis: { type: "category", data: s.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "招标数", type: "bar", data: s.tenders },
        { name: "中标数", type: "bar", data: s.awards }
      ]
    });
    var amount = window.echarts.init(document.getElementById("chart-amount"));
    amount.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 80, right: 16, bottom: 40 },
      xAxis: { type: "category", data: s.months },
      yAxis: { type: "value", name: "元" },
      series: [{ name: "预算合计", type: "line", data: s.budget, areaStyle: {} }]
    });
    window.addEventListener("resize", function () { volume.resize(); amount.resize(); });
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
