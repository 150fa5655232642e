"""The page helpers the browser benchmark's predicates call (`window.__ui`): how today's LabelDeck markup is read
(the Showing caption, the grid's tiles and their thumbnails, the review tabs and their counts, the review bar, the
viewer dialog and its canvas, the URL's parameters, the Annotate page's counter and editor), in one script that
bench/browser_driver.py installs into every page of the browser context. Its selectors belong with the driver's:
a rewritten UI changes both."""

# Helpers the predicates of bench/browser_driver.py call, installed into every page of the context: today's markup,
# read in one place.
UI_SCRIPT = r"""
(() => {
  const main = () => document.querySelector('[data-testid="stMain"]');
  const text = (el) => (el ? el.innerText.trim() : '');
  const number = (s) => parseInt(String(s).replace(/,/g, ''), 10);
  const fresh = (el) => !el.closest('[data-stale="true"]');
  window.__ui = {
    showing: () => {
      for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"]')) {
        const t = text(el);
        if (t.startsWith('Showing:')) return t;
      }
      return null;
    },
    // the grid component's tiles (dashboard/tile_grid.py), in the main area (the side panel has its own)
    tiles: () => [...document.querySelectorAll('[data-testid="stMain"] .ld-tile')].filter(fresh)
      .map((el) => el.dataset.result),
    tileImagesLoaded: (n) => {
      const images = [...document.querySelectorAll('[data-testid="stMain"] .ld-tile img')];
      return images.length >= n && images.every((img) => fresh(img) && img.complete && img.naturalWidth > 0);
    },
    noResults: () => text(main()).includes('No results match this tab'),
    tabs: () => {
      const out = {};
      for (const b of document.querySelectorAll('.st-key-tab [role="radio"]')) {
        const m = text(b).match(/^(.*?) ([\d,]+)$/);
        if (m) out[m[1]] = {count: number(m[2]), checked: b.getAttribute('aria-checked') === 'true'};
      }
      return out;
    },
    pending: () => { const t = window.__ui.tabs()['Pending Review']; return t ? t.count : null; },
    reviewBar: () => text(document.querySelector('.st-key-review_bar')),
    activePage: () => number(text(document.querySelector('[data-testid="stPaginationPageActive"]'))),
    viewer: () => [...document.querySelectorAll('[role="dialog"]')].find((d) => d.querySelector('.st-key-viewer_steps'))
      || null,
    viewerResult: () => {
      const m = text(window.__ui.viewer()).match(/\nresult (\d+)/);
      return m ? number(m[1]) : null;
    },
    viewerPosition: () => {
      const m = text(window.__ui.viewer()).match(/([\d,]+) of ([\d,]+) shown · ([A-Za-z ]+)/);
      return m ? {position: number(m[1]), total: number(m[2]), state: m[3].trim()} : null;
    },
    viewerReady: () => {
      // the canvas: Plotly has drawn its SVG with the image in it (a data URL, decoded with the document)
      const viewer = window.__ui.viewer();
      const chart = viewer && viewer.querySelector('.js-plotly-plot');
      return !!chart && fresh(chart) && !!chart.querySelector('.main-svg .layer-below image, .main-svg image');
    },
    param: (name) => new URLSearchParams(location.search).get(name),
    annotateDone: () => {
      const m = text(main()).match(/([\d,]+) of ([\d,]+) images done/);
      return m ? number(m[1]) : null;
    },
    annotateFile: () => {
      const m = text(main()).match(/(\S+) · image [\d,]+ of/);
      return m ? m[1] : null;
    },
    editorKey: () => {
      const box = document.querySelector('[class*="st-key-annotate_"]:has(iframe)');
      return box ? [...box.classList].find((c) => c.startsWith('st-key-annotate_')) : null;
    },
    editorReady: () => {
      // the component's iframe: its Complete button, and the image drawn on its canvas
      const frame = document.querySelector('[class*="st-key-annotate_"] iframe');
      const doc = frame && frame.contentDocument;
      if (!doc) return false;
      const complete = [...doc.querySelectorAll('button')].some((b) => b.innerText.trim() === 'Complete');
      const canvas = doc.querySelector('.konvajs-content canvas');
      if (!complete || !canvas || !canvas.width) return false;
      const pixel = canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
      return pixel[3] > 0;
    },
    dialog: () => document.querySelector('[role="dialog"]'),
  };
})();
"""
