"""The grid's tiles as one element: a Streamlit components v2 component (inline JavaScript, no iframe) that lays out
a page of thumbnails with their one-line captions, Pick boxes and viewer buttons.

Why not a column of st.image, st.markdown, st.checkbox and st.button per tile: that is ~8 Streamlit elements a
tile, ~190 a page, and the browser spent ~450 ms of script time per page turn rendering them (a Chromium trace of
the browser bench). One element draws the same page in a few milliseconds, and a pick re-sends one element.

Events come back as trigger values: `toggle` (a Pick box, with the tile's result id) and `open` (the viewer
button). Text is set with textContent, never as HTML: captions and file names come from users and label files.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

CSS = """
.ld-grid { display: grid; grid-template-columns: repeat(var(--columns, 3), minmax(0, 1fr)); gap: 0.5rem; }
.ld-tile { border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.3)); border-radius: 0.5rem;
           padding: 0.5rem; display: flex; flex-direction: column; gap: 0.3rem; min-width: 0; }
.ld-tile img { width: 100%; aspect-ratio: 1 / 1; object-fit: contain; border-radius: 0.25rem; display: block; }
.ld-missing { aspect-ratio: 1 / 1; display: flex; align-items: center; justify-content: center; padding: 0.5rem;
              font-size: 0.8rem; border-radius: 0.25rem; color: var(--st-text-color, inherit);
              background: var(--st-secondary-background-color, rgba(128, 128, 128, 0.15)); overflow: hidden; }
.ld-caption { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 0.85rem;
              color: var(--st-text-color, inherit); }
.ld-caption.ld-changed { color: #F58518; font-weight: 600; }
.ld-foot { display: flex; align-items: center; justify-content: space-between; gap: 0.25rem; font-size: 0.85rem;
           color: var(--st-text-color, inherit); }
.ld-foot label { display: flex; align-items: center; gap: 0.3rem; cursor: pointer; }
.ld-foot input { accent-color: var(--st-primary-color, #0f766e); width: 1rem; height: 1rem; cursor: pointer; }
.ld-open { border: none; background: none; cursor: pointer; padding: 0.15rem 0.35rem; border-radius: 0.3rem;
           color: var(--st-text-color, inherit); font-size: 1rem; line-height: 1; }
.ld-open:hover, .ld-open:focus-visible { background: var(--st-secondary-background-color, rgba(128,128,128,.2));
                                         color: var(--st-primary-color, #0f766e); }
"""

JS = r"""
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let grid = parentElement.querySelector(".ld-grid");
  if (!grid) {
    grid = document.createElement("div");
    grid.className = "ld-grid";
    parentElement.appendChild(grid);
  }
  grid.__send = setTriggerValue;  // the handlers below outlive this render: they call the latest sender
  grid.style.setProperty("--columns", String(data.columns));
  const existing = new Map([...grid.children].map((el) => [el.dataset.key, el]));
  const tiles = data.tiles.map((tile) => {
    const key = [tile.id, tile.src, tile.warning, tile.caption, tile.changed, data.pickable].join("|");
    let el = existing.get(key);
    if (el) existing.delete(key); else el = makeTile(tile, key);
    const pick = el.querySelector(".ld-pick");
    if (pick) pick.checked = !!tile.picked;
    return el;
  });
  existing.forEach((el) => el.remove());
  tiles.forEach((el, i) => { if (grid.children[i] !== el) grid.insertBefore(el, grid.children[i] || null); });
  // The next page's thumbnails, loaded and decoded now: a page turn then shows them from memory.
  grid.__ahead = (data.prefetch || []).map((src) => { const im = new Image(); im.src = src; return im; });

  function makeTile(tile, key) {
    const el = document.createElement("div");
    el.className = "ld-tile";
    el.dataset.key = key;
    el.dataset.result = String(tile.id);
    if (tile.src) {
      const img = document.createElement("img");
      img.src = tile.src;
      img.alt = tile.caption;
      img.loading = "eager";
      el.appendChild(img);
    } else {
      const missing = document.createElement("div");
      missing.className = "ld-missing";
      missing.textContent = tile.warning;
      el.appendChild(missing);
    }
    const caption = document.createElement("div");
    caption.className = "ld-caption" + (tile.changed ? " ld-changed" : "");
    caption.textContent = tile.caption;
    caption.title = tile.caption;
    el.appendChild(caption);
    const foot = document.createElement("div");
    foot.className = "ld-foot";
    if (data.pickable) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "ld-pick";
      box.addEventListener("change", () => grid.__send("toggle", tile.id));
      label.appendChild(box);
      label.appendChild(document.createTextNode("Pick"));
      foot.appendChild(label);
    } else {
      foot.appendChild(document.createElement("span"));
    }
    const open = document.createElement("button");
    open.type = "button";
    open.className = "ld-open";
    open.title = "Open in the viewer";
    open.setAttribute("aria-label", "Open in the viewer");
    open.textContent = "⤢";
    open.addEventListener("click", () => grid.__send("open", tile.id));
    foot.appendChild(open);
    el.appendChild(foot);
    return el;
  }
}
"""

# Not in a shadow root: the tiles are part of the page (its tests and the browser bench find them); the class names
# are prefixed, so the styles stay with them.
_TILE_GRID = st.components.v2.component("labeldeck.tile_grid", css=CSS, js=JS, isolate_styles=False)


@dataclass(frozen=True)
class TileGridEvents:
    toggled: int | None  # the result id of the tile whose Pick box was clicked in this run
    opened: int | None  # the result id of the tile whose viewer button was clicked


def tile_grid(
    *, tiles: list[dict], columns: int, pickable: bool, key: str, prefetch: list[str] = (), on_toggle=None
) -> TileGridEvents:
    """tiles: {id, src (a signed image URL) or warning, caption, changed, picked}. prefetch: image URLs the browser
    loads ahead (the next page's). on_toggle: called before the run that reports a toggle, with
    st.session_state[key].toggle set (so what is drawn above the grid sees the pick)."""
    result = _TILE_GRID(
        data={"tiles": tiles, "columns": columns, "pickable": pickable, "prefetch": list(prefetch)},
        key=key,
        on_toggle_change=on_toggle or (lambda: None),
        on_open_change=lambda: None,
    )
    return TileGridEvents(toggled=result.get("toggle"), opened=result.get("open"))
