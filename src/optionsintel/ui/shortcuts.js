// Keyboard shortcuts of one app: a visible help list, and page-wide keys sent to the kernel.
//
// The `bindings` trait is a list of {key, label}. A key pressed anywhere on the page
// (not while typing in a text box, select or editable element, and without Ctrl/Alt/Meta)
// that has a binding is sent to Python as {event: "key", key}; Python runs the action.
// The listener is removed when the view goes away, so a re-rendered widget never doubles it.

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function typing(target) {
  return !!target && (TYPING.has(target.tagName) || target.isContentEditable);
}

function render({ model, el }) {
  // the same list as help_html() in shortcuts.py: <ul class="oi-shortcuts"><li><kbd>
  const box = document.createElement("ul");
  box.className = "oi-shortcuts";
  box.setAttribute("aria-label", "Keyboard shortcuts");
  Object.assign(box.style, { listStyle: "none", display: "flex", flexWrap: "wrap",
    gap: "4px 14px", margin: "2px 0", padding: "0", fontSize: "12px" });
  el.appendChild(box);

  const draw = () => {
    box.replaceChildren();
    for (const { key, label } of model.get("bindings")) {
      const item = document.createElement("li");
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      item.append(kbd, " " + label);
      box.appendChild(item);
    }
  };

  const onKey = (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    const keys = model.get("bindings").map((b) => b.key);
    if (!keys.includes(event.key)) return;
    event.preventDefault();
    model.send({ event: "key", key: event.key });
  };

  draw();
  model.on("change:bindings", draw);
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    model.off("change:bindings", draw);
  };
}

export default { render };
