// Sales dashboard: draws the charts from the numbers the server wrote into #chart-data
// (Chart.js from npm), and keeps the period select and the dates from contradicting each other.
// The tables beside each chart hold the same numbers; nothing here computes a figure.
(function () {
  const charts = new Map();
  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(`--bs-${name}`).trim();
  const amount = (value) => (value === null ? null : Number(value));
  const money = (value) => Number(value).toLocaleString(undefined, { maximumFractionDigits: 0 });

  function configFor(kind, data) {
    const common = { responsive: true, maintainAspectRatio: false, animation: { duration: 300 } };
    if (kind === "won-by-month") {
      return {
        type: "bar",
        data: {
          labels: data.wonByMonth.labels,
          datasets: [
            { label: "Won value", data: data.wonByMonth.won.map(amount), backgroundColor: color("primary") },
            {
              type: "line", label: "Quota", data: data.wonByMonth.quota.map(amount),
              borderColor: color("warning"), backgroundColor: color("warning"), spanGaps: false,
            },
          ],
        },
        options: { ...common, scales: { y: { beginAtZero: true, ticks: { callback: money } } } },
      };
    }
    if (kind === "funnel") {
      return {
        type: "bar",
        data: {
          labels: data.funnel.labels,
          datasets: [
            { label: "Entered", data: data.funnel.entered, backgroundColor: color("secondary") },
            { label: "Moved on", data: data.funnel.movedOn, backgroundColor: color("primary") },
            { label: "Won", data: data.funnel.won, backgroundColor: color("success") },
          ],
        },
        options: { ...common, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
      };
    }
    if (kind === "lost-reasons") {
      return {
        type: "bar",
        data: {
          labels: data.lostReasons.labels,
          datasets: [{ label: "Lost value", data: data.lostReasons.values.map(amount), backgroundColor: color("danger") }],
        },
        options: {
          ...common,
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { callback: money } } },
        },
      };
    }
    return {
      type: "bar",
      data: {
        labels: data.winRate.labels,
        datasets: [{ label: "Close ratio (%)", data: data.winRate.rates.map(amount), backgroundColor: color("success") }],
      },
      options: {
        ...common,
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v} %` } } },
      },
    };
  }

  function draw(root) {
    for (const [canvas, chart] of charts) {
      if (!canvas.isConnected) {
        chart.destroy();
        charts.delete(canvas);
      }
    }
    const source = document.getElementById("chart-data");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (charts.has(canvas)) return;
      charts.set(canvas, new Chart(canvas, configFor(canvas.dataset.chart, data)));
    });
  }

  htmx.onLoad(draw);

  // Runs before htmx serialises the form (capture phase): a typed date switches the period to
  // custom dates, and a chosen preset clears the dates, so the request asks for one or the
  // other. The server reads the form the same way without JavaScript (reporting/forms.py).
  document.addEventListener(
    "change",
    (event) => {
      const form = event.target.form;
      if (!form || form.id !== "report-filters") return;
      if (event.target.matches("[data-custom-date]")) {
        form.querySelector("[name=period]").value = "custom";
      } else if (event.target.name === "period" && event.target.value !== "custom") {
        form.querySelectorAll("[data-custom-date]").forEach((input) => {
          input.value = "";
        });
      }
    },
    true,
  );
})();
