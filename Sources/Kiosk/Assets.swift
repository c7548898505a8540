/// The kiosk's only assets, served from /static/ (no external resources, no inline
/// script or style: the Content-Security-Policy forbids them).
enum Assets {
    static let css = """
    :root { color-scheme: dark; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #000; color: #fff; font: 24px/1.4 system-ui, "DejaVu Sans", sans-serif; }
    header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; padding: 12px 20px; background: #111; border-bottom: 3px solid #fff; }
    .brand { font-weight: bold; font-size: 28px; margin-right: auto; }
    nav { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
    main { padding: 20px; max-width: 1200px; margin: 0 auto; }
    h1 { font-size: 40px; margin: 10px 0 20px; }
    h2 { font-size: 30px; margin-top: 30px; }
    a { color: #9cf; }
    .btn, button { display: inline-block; min-height: 64px; min-width: 120px; padding: 14px 24px; font: inherit; font-weight: bold;
      color: #000; background: #fff; border: 3px solid #fff; border-radius: 10px; text-decoration: none; cursor: pointer; }
    .btn:focus, button:focus, input:focus, select:focus { outline: 5px solid #ff0; outline-offset: 3px; }
    .big { font-size: 32px; min-height: 88px; width: 100%; margin-top: 16px; }
    .accept { background: #0c0; border-color: #0c0; color: #000; }
    form.inline { display: inline; }
    .stack { display: flex; flex-direction: column; gap: 16px; max-width: 700px; }
    label { display: flex; flex-direction: column; gap: 6px; font-weight: bold; }
    input, select { font: inherit; padding: 14px; min-height: 64px; background: #000; color: #fff; border: 3px solid #fff; border-radius: 8px; }
    ul.sources { list-style: none; padding: 0; display: grid; gap: 16px; }
    button.source { width: 100%; text-align: left; min-height: 96px; font-size: 30px; }
    .tag { display: inline-block; background: #000; color: #fff; padding: 2px 10px; border-radius: 6px; font-size: 20px; margin-right: 12px; }
    .verdict { padding: 30px; border-radius: 16px; text-align: center; margin: 10px 0 20px; }
    .verdict .word { font-size: 96px; font-weight: 900; letter-spacing: 4px; }
    .verdict.accepted { background: #0a0; color: #000; }
    .verdict.rejected { background: #d00; color: #fff; }
    .next { font-size: 28px; font-weight: bold; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 8px 24px; }
    dt { font-weight: bold; color: #ccc; }
    dd { margin: 0; overflow-wrap: anywhere; }
    code, pre { font-family: "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; white-space: pre-wrap; }
    ul.findings > li { margin-bottom: 18px; }
    ul.findings > li.error { border-left: 10px solid #f44; padding-left: 12px; }
    ul.findings > li.warning { border-left: 10px solid #fc0; padding-left: 12px; }
    .alert { background: #d00; color: #fff; padding: 16px; border-radius: 8px; font-weight: bold; }
    .ok { background: #063; color: #fff; padding: 16px; border-radius: 8px; }
    .hint { background: #333; padding: 16px; border-radius: 8px; }
    .bar { height: 40px; background: #333; border: 3px solid #fff; border-radius: 8px; overflow: hidden; }
    .fill { height: 100%; width: 0; background: #0c0; }
    .fill.indeterminate { width: 100%; background: repeating-linear-gradient(45deg, #0c0 0 20px, #080 20px 40px); }
    .stage { font-size: 34px; font-weight: bold; }
    .current { color: #ccc; overflow-wrap: anywhere; }
    table.history { border-collapse: collapse; width: 100%; font-size: 18px; }
    table.history td, table.history th { border: 1px solid #666; padding: 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
    td.rejected, td.error, td.failed, td.locked { color: #f66; font-weight: bold; }
    td.accepted, td.ok { color: #6f6; font-weight: bold; }
    form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; margin-bottom: 16px; }
    pre.receipt { background: #111; padding: 16px; border: 2px solid #666; font-size: 16px; max-height: 60vh; overflow: auto; }
    """

    /// Live progress over server-sent events; without script the page refreshes itself.
    static let js = """
    "use strict";
    (function () {
      var box = document.getElementById("progress");
      if (!box || !window.EventSource) { return; }
      var meta = document.querySelector("meta[http-equiv=refresh]");
      if (meta) { meta.parentNode.removeChild(meta); }
      function set(id, text) { var e = document.getElementById(id); if (e) { e.textContent = text; } }
      var source = new EventSource(box.getAttribute("data-events"));
      function show(ev) {
        var p = JSON.parse(ev.data);
        set("stage", p.stageText); set("items", String(p.items)); set("bytes", p.bytesText);
        set("speed", p.speedText); set("archive", p.archive || "\\u2014"); set("current", p.current || "");
        set("eta", p.eta === undefined ? "\\u2014" : Math.round(p.eta) + " s");
        var bar = document.getElementById("bar");
        if (bar) {
          if (p.totalBytes) { bar.className = "fill"; bar.style.width = Math.min(100, 100 * p.bytesRead / p.totalBytes) + "%"; }
          else { bar.className = "fill indeterminate"; }
        }
      }
      source.addEventListener("progress", show);
      source.addEventListener("done", function (ev) { show(ev); source.close(); window.location.assign(box.getAttribute("data-done")); });
      source.onerror = function () { source.close(); setTimeout(function () { window.location.reload(); }, 2000); };
    })();
    """
}
