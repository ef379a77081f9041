// The managers' dashboard: fetches each chart's figures (JSON, Chinese labels from
// the server) and draws them with ECharts. Tooltips render on the canvas (the page's
// CSP allows no inline styles); every chart also has a data table whose links drill
// down to the filtered conversation list, the same links a tap on a bar follows.
"use strict";

(function () {
  const root = document.getElementById("charts");
  if (!root || !window.echarts) return;
  const query = root.dataset.query;
  const drawn = [];
  const TOOLTIP = { renderMode: "richText", confine: true };

  function fill(link, values) {
    return link.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(values[k] ?? ""));
  }

  function plot(section, small) {
    const div = document.createElement("div");
    div.className = small ? "plot small" : "plot";
    div.setAttribute("role", "img");
    section.querySelector(".plots").appendChild(div);
    const chart = echarts.init(div, null, { renderer: "canvas" });
    drawn.push(chart);
    return { div, chart };
  }

  function table(section, caption, head, rows) {
    const box = section.querySelector("details.data");
    const t = document.createElement("table");
    const cap = document.createElement("caption");
    cap.textContent = caption;
    t.appendChild(cap);
    const tr = document.createElement("tr");
    head.forEach((h) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      tr.appendChild(th);
    });
    const thead = document.createElement("thead");
    thead.appendChild(tr);
    t.appendChild(thead);
    const body = document.createElement("tbody");
    rows.forEach((cells) => {
      const row = document.createElement("tr");
      cells.forEach((cell) => {
        const td = document.createElement("td");
        if (cell && typeof cell === "object") {
          const a = document.createElement("a");
          a.href = cell.href;
          a.textContent = cell.text;
          td.appendChild(a);
        } else {
          td.textContent = cell === null || cell === undefined ? "-" : String(cell);
        }
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    box.querySelector(".table").appendChild(t);
    box.hidden = false;
  }

  const pct = (v) => (v === null || v === undefined ? "-" : (v * 100).toFixed(1) + "%");

  const draw = {
    conversations(section, d) {
      const days = d.days.map((x) => x.slice(5));
      const bars = plot(section);
      bars.div.setAttribute("aria-label", d.title);
      bars.chart.setOption({
        title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, trigger: "axis" },
        legend: { top: 0, right: 0, type: "scroll", width: "50%" },
        grid: { top: 64, left: 48, right: 16, bottom: 72 },
        xAxis: { type: "category", data: days, name: d.axis.x },
        yAxis: { type: "value", name: d.axis.y, minInterval: 1 },
        dataZoom: [{ type: "slider", bottom: 8 }, { type: "inside" }],
        series: d.series.map((s) => ({ name: s.name, type: "bar", stack: "all", data: s.data })),
      });
      bars.chart.on("click", (p) => {
        const day = d.days[p.dataIndex];
        const channel = d.series[p.seriesIndex].key;
        location.href = fill(d.drill.day, { start: day, end: day }) + "&channel=" + encodeURIComponent(channel);
      });
      bars.chart.on("datazoom", () => {
        const zoom = bars.chart.getOption().dataZoom[0];
        const start = d.days[zoom.startValue ?? 0];
        const end = d.days[zoom.endValue ?? d.days.length - 1];
        const link = document.getElementById("range-link");
        link.href = fill(d.drill.range, { start, end });
        link.textContent = "查看 " + start + " 至 " + end + " 的对话";
      });
      const rates = plot(section, true);
      rates.div.setAttribute("aria-label", d.rates.title);
      rates.chart.setOption({
        title: { text: d.rates.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, trigger: "axis", valueFormatter: pct },
        legend: { top: 0, right: 0, type: "scroll", width: "50%" },
        grid: { top: 64, left: 56, right: 16, bottom: 32 },
        xAxis: { type: "category", data: days },
        yAxis: { type: "value", name: d.axis.rate, axisLabel: { formatter: (v) => Math.round(v * 100) + "%" }, min: 0 },
        series: ["fallback", "handoff"].map((k) => ({
          name: d.rates.names[k], type: "line", data: d.rates[k], connectNulls: false,
        })),
      });
      rates.chart.on("click", (p) => {
        const day = d.days[p.dataIndex];
        location.href = fill(d.drill[p.seriesIndex === 0 ? "fallback" : "handoff"], { start: day, end: day });
      });
      if (d.intents.keys.length) {
        const intents = plot(section, true);
        intents.div.setAttribute("aria-label", d.intents.title);
        intents.chart.setOption({
          title: { text: d.intents.title, left: 0, textStyle: { fontSize: 14 } },
          tooltip: { ...TOOLTIP, trigger: "axis" },
          grid: { top: 36, left: 120, right: 24, bottom: 24 },
          xAxis: { type: "value", minInterval: 1, name: "对话数" },
          yAxis: { type: "category", data: d.intents.labels.slice().reverse() },
          series: [{ name: "对话数", type: "bar", data: d.intents.counts.slice().reverse() }],
        });
        intents.chart.on("click", (p) => {
          const key = d.intents.keys[d.intents.keys.length - 1 - p.dataIndex];
          location.href = fill(d.drill.intent, { intent: key });
        });
        table(section, d.intents.title, ["意图", "对话数"], d.intents.keys.map((k, i) => [
          { text: d.intents.labels[i], href: fill(d.drill.intent, { intent: k }) }, d.intents.counts[i],
        ]));
      }
      table(section, d.title, ["日期", ...d.series.map((s) => s.name), d.rates.names.fallback, d.rates.names.handoff],
        d.days.map((day, i) => [
          { text: day, href: fill(d.drill.day, { start: day, end: day }) },
          ...d.series.map((s) => s.data[i]), pct(d.rates.fallback[i]), pct(d.rates.handoff[i]),
        ]));
    },

    recommendations(section, d) {
      const p = plot(section);
      p.div.setAttribute("aria-label", d.title);
      p.chart.setOption({
        title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, trigger: "axis" },
        legend: { top: 0, right: 0, type: "scroll", width: "50%" },
        grid: { top: 64, left: 48, right: 16, bottom: 32 },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", name: d.axis.y, minInterval: 1 },
        series: d.series.map((s) => ({ name: s.name, type: "bar", stack: "all", data: s.data })),
      });
      table(section, d.title, ["推荐类型", ...d.series.map((s) => s.name), "采纳率"],
        d.labels.map((label, i) => [label, ...d.series.map((s) => s.data[i]), pct(d.rates[i])]));
    },

    care(section, d) {
      const p = plot(section);
      p.div.setAttribute("aria-label", d.title);
      p.chart.setOption({
        title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, trigger: "axis", valueFormatter: pct },
        legend: { top: 0, right: 0, type: "scroll", width: "50%" },
        grid: { top: 64, left: 56, right: 16, bottom: 32 },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", name: d.axis.y, min: 0, axisLabel: { formatter: (v) => Math.round(v * 100) + "%" } },
        series: d.series.map((s) => ({ name: s.name, type: "bar", data: s.data })),
      });
      table(section, d.title, ["触发", "已发送：下单/发送", "对照组：下单/人数", "提升（百分点）"],
        d.labels.map((label, i) => [
          label,
          d.series[0].counts[i].join("/"),
          d.series[1].counts[i].join("/"),
          d.uplift[i] === null ? "-" : (d.uplift[i] > 0 ? "+" : "") + d.uplift[i],
        ]));
    },

    segments(section, d) {
      const p = plot(section);
      p.div.setAttribute("aria-label", d.title);
      p.chart.setOption({
        title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, trigger: "axis" },
        grid: { top: 64, left: 48, right: 16, bottom: 48 },
        xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", name: d.axis.y, minInterval: 1 },
        series: [{ name: d.axis.y, type: "bar", data: d.counts }],
      });
      p.chart.on("click", (e) => { location.href = fill(d.drill.segment, { segment: d.keys[e.dataIndex] }); });
      table(section, d.title, ["客群", "顾客数"], d.keys.map((k, i) => [
        { text: d.labels[i], href: fill(d.drill.segment, { segment: k }) }, d.counts[i],
      ]));
    },

    migration(section, d) {
      const p = plot(section);
      p.div.setAttribute("aria-label", d.title);
      p.chart.setOption({
        title: { text: d.title, left: 0, textStyle: { fontSize: 14 } },
        tooltip: { ...TOOLTIP, formatter: (e) => d.labels[e.value[1]] + " → " + d.labels[e.value[0]] + "：" + e.value[2] + " 人" },
        grid: { top: 40, left: 96, right: 16, bottom: 96 },
        xAxis: { type: "category", data: d.labels, name: d.axis.x, nameLocation: "middle", nameGap: 64, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "category", data: d.labels, name: d.axis.y },
        visualMap: { min: 0, max: Math.max(d.max, 1), calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120 },
        series: [{ name: "顾客数", type: "heatmap", data: d.cells, label: { show: true } }],
      });
      table(section, d.title, [d.axis.y, d.axis.x, "顾客数"],
        d.cells.map((c) => [d.labels[c[1]], d.labels[c[0]], c[2]]));
    },
  };

  root.querySelectorAll("section.chart").forEach(async (section) => {
    const name = section.dataset.chart;
    const loading = section.querySelector(".loading");
    const empty = section.querySelector(".empty");
    try {
      const answer = await fetch("/manager/charts/" + name + ".json?" + query, { credentials: "same-origin" });
      const text = await answer.text();
      if (!answer.ok) throw new Error(text || answer.statusText);
      const data = JSON.parse(text);
      loading.remove();
      if (data.empty) {
        empty.textContent = data.empty;
        empty.hidden = false;
        section.dataset.state = "empty";
        return;
      }
      draw[name](section, data);
      section.dataset.state = "drawn";
    } catch (error) {
      loading.remove();
      empty.textContent = "图表没有加载出来：" + error.message;
      empty.hidden = false;
      section.dataset.state = "failed";
    }
  });

  window.addEventListener("resize", () => drawn.forEach((c) => c.resize()));
})();
