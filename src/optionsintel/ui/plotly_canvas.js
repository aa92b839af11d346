// One plotly.js chart the user draws on: the `figure` trait in, the user's `shapes` out.
//
// plotly.js arrives once as the `_plotly_js` trait (shared cache with plotly_grid.js).
// The mode bar carries plotly's own draw-line and erase-shape tools; a drawn or moved
// line fires `plotly_relayout`, and the user's shapes (those not named "pattern:...",
// which are detected patterns, not editable) are written back to the `shapes` trait.
// The plot div keeps a reference to its Plotly as `__oiPlotly` (tests dispatch relayouts).

const CACHE = (globalThis.__optionsintelPlotly ??= new Map());

function loadPlotly(model) {
  const version = model.get("_plotly_version");
  if (!CACHE.has(version)) {
    const code = "const module = { exports: {} }; const exports = module.exports;\n" +
      model.get("_plotly_js") + "\nexport default module.exports;\n";
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const loaded = import(/* webpackIgnore: true */ url).then((mod) => mod.default);
    loaded.finally(() => URL.revokeObjectURL(url));
    CACHE.set(version, loaded);
  }
  return CACHE.get(version);
}

const CONFIG = {
  responsive: true, displaylogo: false, scrollZoom: false,
  modeBarButtonsToAdd: ["drawline", "eraseshape"],
  edits: { shapePosition: true },
};
const isPattern = (s) => String(s?.name ?? "").startsWith("pattern:");
const plain = (s) => ({
  type: s.type ?? "line", x0: s.x0, y0: s.y0, x1: s.x1, y1: s.y1, name: s.name ?? "",
});

function render({ model, el }) {
  let Plotly = null;
  let disposed = false;
  let bound = false;
  const div = document.createElement("div");
  div.className = "oi-canvas-plot";
  Object.assign(div.style, { width: "100%", maxWidth: "100%", minWidth: "0", minHeight: "360px" });
  el.appendChild(div);
  const userShapes = () => (div.layout?.shapes ?? []).filter((s) => !isPattern(s)).map(plain);
  const push = () => {
    const shapes = userShapes();
    if (JSON.stringify(shapes) === JSON.stringify(model.get("shapes") ?? [])) return;
    model.set("shapes", shapes);
    model.save_changes();
  };
  const plot = () => {
    if (!Plotly || disposed || div.clientWidth <= 0) return;
    const fig = model.get("figure") ?? {};
    const layout = {
      ...(fig.layout ?? {}), autosize: true, dragmode: model.get("dragmode"),
      newshape: { line: { color: "#ff6f00", width: 2 } },
    };
    layout.shapes = [...(layout.shapes ?? []).filter(isPattern), ...(model.get("shapes") ?? [])];
    Plotly.react(div, fig.data ?? [], layout, CONFIG).then(() => {
      div.__oiPlotly = Plotly;
      if (!bound) {
        bound = true;
        div.on("plotly_relayout", (ev) => {
          if (Object.keys(ev ?? {}).some((k) => k.startsWith("shapes"))) push();
        });
      }
    }).catch((err) => console.error("[optionsintel] canvas update failed", err));
  };
  const onShapes = () => {
    if (JSON.stringify(userShapes()) !== JSON.stringify(model.get("shapes") ?? [])) plot();
  };
  const observer = new ResizeObserver(() => {
    if (!Plotly || div.clientWidth <= 0) return;
    if (!div.layout) plot();
    else Plotly.Plots.resize(div).catch(() => {});
  });
  observer.observe(div);
  model.on("change:figure", plot);
  model.on("change:shapes", onShapes);
  model.on("change:dragmode", () => Plotly && div.layout &&
    Plotly.relayout(div, { dragmode: model.get("dragmode") }));
  loadPlotly(model).then((lib) => {
    Plotly = lib;
    plot();
  }).catch((err) => {
    div.textContent = `plotly.js failed to load: ${err}`;
  });
  return () => {
    disposed = true;
    model.off("change:figure", plot);
    model.off("change:shapes", onShapes);
    observer.disconnect();
    if (Plotly) Plotly.purge(div);
  };
}

export default { render };
