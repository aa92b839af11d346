// Responsive grid of plotly.js charts, drawn from the `figures` trait of one widget model.
//
// plotly.js arrives once, as the `_plotly_js` trait, and is evaluated lazily in render()
// (cached per version on globalThis). The module itself stays tiny so anywidget's model
// initialisation (which must finish within 2 s) never has to parse a 5 MB bundle.
// Updates go through Plotly.react on the same <div>s: no flicker, zoom kept by uirevision.

const CACHE = (globalThis.__optionsintelPlotly ??= new Map());

function loadPlotly(model) {
  const version = model.get("_plotly_version");
  if (!CACHE.has(version)) {
    // the bundle is UMD: give it a CommonJS `module` so it never touches a global AMD loader
    const code = "const module = { exports: {} }; const exports = module.exports;\n" +
      model.get("_plotly_js") + "\nexport default module.exports;\n";
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const loaded = import(/* webpackIgnore: true */ url).then((mod) => mod.default);
    loaded.finally(() => URL.revokeObjectURL(url));
    CACHE.set(version, loaded);
  }
  return CACHE.get(version);
}

const CONFIG = { responsive: true, displaylogo: false };

function render({ model, el }) {
  let Plotly = null;
  let disposed = false;
  const cells = []; // {div, key, drawn}
  // an inner element: ipywidgets' Layout owns (and resets) the inline style of `el`
  const grid = document.createElement("div");
  grid.className = "oi-plotly-grid";
  el.appendChild(grid);
  const style = () => {
    const min = model.get("column_min_width");
    Object.assign(grid.style, {
      display: "grid", gap: "8px", width: "100%", maxWidth: "100%", minWidth: "0",
      boxSizing: "border-box",
      gridTemplateColumns: `repeat(auto-fit, minmax(min(100%, ${min}), 1fr))`,
    });
  };
  const plot = (cell, fig) => {
    cell.drawn = true;
    Plotly.react(cell.div, fig.data ?? [], fig.layout ?? {}, CONFIG).catch((err) =>
      console.error("[optionsintel] chart update failed", err));
  };
  const draw = () => {
    if (!Plotly || disposed) return;
    const figures = model.get("figures") ?? [];
    while (cells.length < figures.length) {
      const div = document.createElement("div");
      div.className = "oi-chart";
      Object.assign(div.style, { minWidth: "0", maxWidth: "100%", overflow: "hidden" });
      grid.appendChild(div);
      const cell = { div, key: null, drawn: false };
      observer.observe(div);
      cells.push(cell);
    }
    while (cells.length > figures.length) {
      const cell = cells.pop();
      observer.unobserve(cell.div);
      Plotly.purge(cell.div);
      cell.div.remove();
    }
    figures.forEach((fig, i) => {
      const cell = cells[i];
      const key = JSON.stringify(fig);
      if (cell.key === key) return;
      cell.key = key;
      // not laid out yet: plotly would fall back to a fixed 700 px width; wait for a size
      if (cell.div.clientWidth > 0) plot(cell, fig);
      else cell.drawn = false;
    });
  };
  const observer = new ResizeObserver((entries) => {
    if (!Plotly) return;
    const figures = model.get("figures") ?? [];
    for (const entry of entries) {
      const i = cells.findIndex((c) => c.div === entry.target);
      if (i < 0 || entry.contentRect.width <= 0) continue;
      if (!cells[i].drawn) plot(cells[i], figures[i]);
      else Plotly.Plots.resize(cells[i].div).catch(() => {});
    }
  });
  style();
  model.on("change:column_min_width", style);
  model.on("change:figures", draw);
  loadPlotly(model).then((lib) => {
    Plotly = lib;
    draw();
  }).catch((err) => {
    grid.textContent = `plotly.js failed to load: ${err}`;
    console.error("[optionsintel] plotly.js failed to load", err);
  });
  return () => {
    disposed = true;
    model.off("change:figures", draw);
    model.off("change:column_min_width", style);
    observer.disconnect();
    if (Plotly) cells.forEach((c) => Plotly.purge(c.div));
  };
}

export default { render };
