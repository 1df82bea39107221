/* Draws the page's Vega-Lite charts with the local vega-embed bundle and pages long tables. */
(function () {
  "use strict";

  var EMBED_OPTIONS = {
    mode: "vega-lite",
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
    i18n: {
      PNG_ACTION: "保存为 PNG",
      SVG_ACTION: "保存为 SVG",
      SOURCE_ACTION: "查看源代码",
      COMPILED_ACTION: "查看 Vega",
      EDITOR_ACTION: "在编辑器中打开",
      CLICK_TO_VIEW_ACTIONS: "点击查看操作"
    }
  };

  function drawChart(specElement) {
    var target = document.getElementById(specElement.getAttribute("data-target"));
    if (!target) {
      return;
    }
    if (typeof window.vegaEmbed !== "function") {
      target.textContent = "图表脚本未加载 (assets/vega-bundle.js)。";
      console.error("assets/vega-bundle.js is not loaded: chart " + target.id + " not drawn");
      return;
    }
    var spec;
    try {
      spec = JSON.parse(specElement.textContent);
    } catch (error) {
      target.textContent = "图表数据有误：" + error;
      console.error("chart " + target.id + " has a bad spec:", error);
      return;
    }
    window.vegaEmbed(target, spec, EMBED_OPTIONS).catch(function (error) {
      target.textContent = "图表无法显示：" + error;
      console.error("chart " + target.id + " could not be drawn:", error);
    });
  }

  function paginate(container) {
    var size = parseInt(container.getAttribute("data-page-size"), 10);
    var body = container.querySelector("tbody");
    if (!body || !(size > 0)) {
      return;
    }
    var rows = Array.prototype.slice.call(body.rows);
    if (rows.length <= size) {
      return;
    }
    var pages = Math.ceil(rows.length / size);
    var page = 0;
    var controls = document.createElement("div");
    controls.className = "table-pager";
    var previous = document.createElement("button");
    var next = document.createElement("button");
    var label = document.createElement("span");
    previous.type = next.type = "button";
    previous.textContent = "‹ 上一页";
    next.textContent = "下一页 ›";

    function show() {
      rows.forEach(function (row, index) {
        row.hidden = Math.floor(index / size) !== page;
      });
      label.textContent = " " + (page + 1) + " / " + pages + "（共 " + rows.length + " 行） ";
      previous.disabled = page === 0;
      next.disabled = page === pages - 1;
    }

    previous.addEventListener("click", function () {
      page = Math.max(0, page - 1);
      show();
    });
    next.addEventListener("click", function () {
      page = Math.min(pages - 1, page + 1);
      show();
    });
    controls.appendChild(previous);
    controls.appendChild(label);
    controls.appendChild(next);
    container.appendChild(controls);
    show();
  }

  function start() {
    var specs = document.querySelectorAll('script.vega-spec[type="application/json"]');
    Array.prototype.forEach.call(specs, drawChart);
    Array.prototype.forEach.call(document.querySelectorAll(".data-table[data-page-size]"), paginate);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
