/* 书香 Shuxiang — the report pages: ECharts from the JSON the page carries, and a copy button.
   No inline scripts: each chart is a [data-chart] element naming a <script type="application/json">
   block (Django's json_script) that holds {kind, title, categories, series, percent, empty}. */
(function () {
  "use strict";

  var COLOURS = ["#2f6f9f", "#d9822b", "#4f9a65", "#b34a4a", "#7a5ea8", "#8c7b4f", "#3c9aa5",
                 "#c46fa0", "#6b7d8c", "#a1a83b"];

  function locale() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "ZH" : "EN";
  }

  function total(series) {
    return series.reduce(function (sum, s) {
      return sum + s.data.reduce(function (a, b) { return a + b; }, 0);
    }, 0);
  }

  function axisOption(spec) {
    var horizontal = spec.kind === "hbar";
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      inverse: horizontal,
      axisLabel: { interval: 0, rotate: horizontal || spec.categories.length <= 8 ? 0 : 40 }
    };
    var valueAxis = { type: "value", minInterval: spec.percent ? 0 : 1 };
    return {
      color: COLOURS,
      tooltip: { trigger: "axis" },
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 24, top: spec.series.length > 1 ? 32 : 12, bottom: 8,
              containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: spec.kind === "line" ? "line" : "bar",
          data: s.data,
          smooth: false,
          barMaxWidth: 56,
          label: { show: spec.kind !== "line" && spec.categories.length <= 24,
                   position: horizontal ? "right" : "top" }
        };
      })
    };
  }

  function pieOption(spec) {
    var values = spec.series[0].data;
    return {
      color: COLOURS,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        name: spec.series[0].name,
        type: "pie",
        radius: ["30%", "62%"],
        minShowLabelAngle: 6,
        data: spec.categories.map(function (name, i) { return { name: name, value: values[i] }; }),
        label: { formatter: "{b}\n{d}%" }
      }]
    };
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    if (!spec.categories.length || total(spec.series) === 0) {
      element.classList.add("sx-chart-empty");
      element.textContent = spec.empty;
      element.setAttribute("data-chart-state", "empty");
      return;
    }
    if (typeof window.echarts === "undefined") {
      return;
    }
    var rows = spec.kind === "hbar" ? spec.categories.length : 0;
    if (rows > 10) {
      element.style.height = Math.min(24 * rows + 60, 1600) + "px";
    }
    var chart = window.echarts.init(element, null, { renderer: "svg", locale: locale() });
    chart.setOption(spec.kind === "pie" ? pieOption(spec) : axisOption(spec));
    element.setAttribute("data-chart-state", "drawn");
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
  }

  /* [data-copy="id"]: copies the text of the element with that id (the summary paragraph). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var text = document.getElementById(button.getAttribute("data-copy")).textContent.trim();
    var done = function () { button.textContent = button.getAttribute("data-copied"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      document.body.removeChild(area);
      done();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });
})();
