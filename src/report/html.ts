import type { Block, Section } from './blocks.js'
import { bucketTime, curveSvg } from './curve-svg.js'
import { escapeHtml as h } from './escape.js'
import { ganttSvg, type Shade } from './gantt-svg.js'
import { REPORT_CSS } from './html-style.js'
import type { ReportModel } from './model.js'
import { timeScale } from './scale.js'

const LABEL_WIDTH = 230
const CHART_WIDTH = 940

const LEGEND = [
  ['var(--work)', 'step at work'],
  ['var(--stage)', 'stage between checkpoints (a shift stage and its bake)'],
  ['var(--bad)', 'failed'],
  ['var(--undo)', 'undone by rollback'],
  ['#aab2bd', 'skipped'],
  ['var(--good)', 'approval (diamond)'],
]

function table(
  head: string[],
  rows: string[][],
  tone: Array<string | undefined> = [],
  className = '',
): string {
  const headRow = head.some(Boolean)
    ? `<thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead>`
    : ''
  const body = rows
    .map(
      (row, i) =>
        `<tr${tone[i] ? ` class="${h(tone[i])}"` : ''}>${row.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`,
    )
    .join('\n')
  return `<table${className ? ` class="${className}"` : ''}>${headRow}<tbody>${body}</tbody></table>`
}

interface Charts {
  gantt: string
  curve: string
}

function block(b: Block, charts: Charts): string {
  switch (b.kind) {
    case 'facts':
      return `<table class="facts"><tbody>${b.rows
        .map(
          ([k, v]) =>
            `<tr><th>${h(k)}</th><td${k === 'verdict' ? ` class="verdict-${h(v)}"` : ''}>${h(v)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    case 'table':
      return b.rows.length === 0 ? '<p>(none)</p>' : table(b.head, b.rows, b.tone)
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${h(i)}</li>`).join('')}</ul>`
    case 'text':
      return `<p>${h(b.text)}</p>`
    case 'subtitle':
      return `<h3>${h(b.text)}</h3>`
    case 'gantt':
      return `<div class="legend">${LEGEND.map(([c, t]) => `<span><i style="background:${c}"></i>${h(t)}</span>`).join('')}</div><div class="chart">${charts.gantt}</div>`
    case 'curve':
      return `<div class="chart">${charts.curve}</div>`
  }
}

/** Each injected fault's detection window, shaded on both charts. */
function shadesOf(model: ReportModel): Shade[] {
  return (model.drill?.faults ?? []).flatMap((f) => {
    if (!f.injectedAt) return []
    const from = Date.parse(f.injectedAt)
    const to = f.detectedAt ? Date.parse(f.detectedAt) : model.timeline.end
    return {
      from,
      to,
      label: `${f.name} at ${f.step}: injected → ${f.detectedAt ? 'detected' : 'never detected'}`,
    }
  })
}

function charts(model: ReportModel): Charts {
  const times = (model.load?.buckets ?? []).map(bucketTime)
  // A bucket counts the interval after its time: the axis runs to the end of the last one.
  const bucketMs = times.length > 1 ? (times[1] as number) - (times[0] as number) : 1000
  const scale = timeScale(
    Math.min(model.timeline.start, ...times),
    Math.max(model.timeline.end, ...times.map((t) => t + bucketMs)),
    LABEL_WIDTH,
    CHART_WIDTH,
  )
  const shades = shadesOf(model)
  return {
    gantt: ganttSvg(model.timeline, scale, shades),
    curve: model.load ? curveSvg(model.load.buckets, scale, shades) : '',
  }
}

/** report.html: one self-contained page (inline CSS, inline SVG charts, no script, nothing fetched). */
export function renderHtml(title: string, sections: Section[], model: ReportModel): string {
  const drawn = charts(model)
  const nav = sections.map((s) => `<a href="#${h(s.id)}">${h(s.title)}</a>`).join('')
  const body = sections
    .map(
      (s) =>
        `<section id="${h(s.id)}"><h2>${h(s.title)}</h2>\n${s.blocks.map((b) => block(b, drawn)).join('\n')}</section>`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${h(title)}</h1>
<nav>${nav}</nav>
${body}
</body>
</html>
`
}
