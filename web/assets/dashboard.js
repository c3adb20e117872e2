// Draws the dashboard's charts with Chart.js from the page's JSON endpoint (/dashboard/<centre>/charts.json).
// Each chart's numbers are also in the table beside it, so the canvas is decoration for those who see it.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

// Colour-blind-safe (Okabe-Ito) colours, dark enough to print.
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"];
const KINDS = { occupancy: "line", caseload: "bar", stay_length: "bar", overdue: "line" };

function draw(canvas, chart, key) {
  const type = KINDS[key] || "bar";
  return new Chart(canvas, {
    type,
    data: {
      labels: chart.labels,
      datasets: chart.series.map((series, index) => ({
        label: series.name,
        data: series.values,
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: COLOURS[index % COLOURS.length],
        borderDash: series.key === "capacity" ? [6, 4] : [],
        spanGaps: true,
        pointRadius: type === "line" ? 2 : 0,
      })),
    },
    options: {
      animation: false, // printed as drawn, and nothing moves for those who prefer it still
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { title: { display: true, text: chart.axis } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

async function drawCharts(container) {
  const response = await fetch(container.dataset.url, { credentials: "same-origin" });
  if (!response.ok) return;
  const charts = await response.json();
  container.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const key = canvas.dataset.chart;
    if (charts[key]) {
      draw(canvas, charts[key], key);
      canvas.dataset.drawn = "true";
    }
  });
  container.dataset.drawn = "true";
}

document.querySelectorAll("[data-dashboard-charts]").forEach((element) => {
  drawCharts(element).catch((error) => console.error(error));
});

// Printing: charts sized for the page, not the window.
window.addEventListener("beforeprint", () => {
  for (const id in Chart.instances) Chart.instances[id].resize();
});
