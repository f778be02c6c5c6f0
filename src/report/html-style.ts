/** The report's only style sheet, inlined: the page needs nothing from the network, fonts included. */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5d6878; --line: #d9dee6; --good: #2e8b57; --bad: #c0392b;
  --warn: #d68910; --undo: #7d5ba6; --stage: #1f4e79; --work: #4a90d9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav { margin: 8px 0 16px; color: var(--muted); }
nav a { color: inherit; margin-right: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td { white-space: pre-wrap; overflow-wrap: break-word; }
table.facts th { width: 220px; }
tr.good td:nth-last-child(2) { color: var(--good); font-weight: 600; }
tr.bad td { background: #fdecea; }
tr.warn td { background: #fef5e7; }
tr.undone td:nth-last-child(2) { color: var(--undo); font-weight: 600; }
ul { margin: 6px 0; padding-left: 22px; }
.chart { overflow-x: auto; border: 1px solid var(--line); padding: 4px; margin: 8px 0; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .tick { stroke: #e6e9ee; stroke-width: 1; }
svg .tick-label { fill: var(--muted); text-anchor: middle; }
svg .row.phase .label { font-weight: 700; }
svg .band { fill: transparent; }
svg .row:nth-child(even) .band { fill: #f8f9fb; }
svg .bar.work { fill: var(--work); }
svg .row.phase .bar.work { fill: #9bb7d4; }
svg .bar.stage { fill: var(--stage); opacity: .85; stroke: #fff; stroke-width: 1; }
svg .bar.failed { fill: var(--bad); }
svg .bar.skipped { fill: #aab2bd; }
svg .bar.undo, svg .bar.rollback { fill: var(--undo); }
svg .not-run { fill: var(--muted); font-style: italic; }
svg .mark.approval { fill: var(--good); }
svg .mark.pause { fill: var(--warn); }
svg .mark.manual-undo { fill: var(--undo); }
svg .shade { fill: var(--bad); opacity: .12; }
svg .ok { fill: var(--good); }
svg .failed { fill: var(--bad); }
.legend span { display: inline-block; margin-right: 14px; color: var(--muted); }
.legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; }
.verdict-PASSED { color: var(--good); font-weight: 700; }
.verdict-FAILED { color: var(--bad); font-weight: 700; }
@media print { body { padding: 0; } .chart { overflow: visible; border: 0; } nav { display: none; } }
`
