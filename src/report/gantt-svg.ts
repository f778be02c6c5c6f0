import { escapeHtml } from './escape.js'
import type { TimeScale } from './scale.js'
import type { Bar, Mark, Timeline, TimelineRow } from './timeline.js'
import { formatDuration } from './values.js'

const ROW = 22
const TOP = 28
/** A bar shorter than this is still seen, and still clicked for its title. */
const MIN_BAR = 3

/** A window to shade across every row: a fault's detection window in a drill. */
export interface Shade {
  from: number
  to: number
  label: string
}

const title = (text: string) => `<title>${escapeHtml(text)}</title>`

function barRect(bar: Bar, y: number, scale: TimeScale, row: TimelineRow): string {
  const x = scale.x(bar.start)
  const width = Math.max(MIN_BAR, scale.x(bar.end) - x)
  const inner = bar.kind === 'stage'
  const top = inner ? y + 9 : y + 4
  const height = inner ? 8 : ROW - 8
  const what = `${row.id}: ${bar.label || bar.kind} (${formatDuration(bar.end - bar.start)})`
  return `<rect class="bar ${bar.kind}" x="${x.toFixed(1)}" y="${top}" width="${width.toFixed(1)}" height="${height}">${title(what)}</rect>`
}

function markPath(mark: Mark, y: number, scale: TimeScale): string {
  const x = scale.x(mark.at)
  const cy = y + ROW / 2
  return `<path class="mark ${mark.kind}" d="M${x.toFixed(1)} ${cy - 6} l6 6 l-6 6 l-6 -6 z">${title(mark.label)}</path>`
}

function rowGroup(row: TimelineRow, index: number, scale: TimeScale): string {
  const y = TOP + index * ROW
  const attribute =
    row.level === 'step' ? `data-step="${escapeHtml(row.id)}"` : `data-${row.level}="${escapeHtml(row.id)}"`
  const name = row.level === 'step' ? `  ${row.id}` : row.level === 'rollback' ? `rollback ${row.id}` : row.id
  // Whole bars first, then the stages drawn inside them.
  const bars = [...row.bars].sort((a, b) => Number(a.kind === 'stage') - Number(b.kind === 'stage'))
  return [
    `<g class="row ${row.level}" ${attribute}>`,
    `<rect class="band" x="0" y="${y}" width="${scale.left + scale.width + 10}" height="${ROW}"/>`,
    `<text class="label" x="${row.level === 'step' ? 16 : 4}" y="${y + 15}">${escapeHtml(name)}</text>`,
    ...bars.map((bar) => barRect(bar, y, scale, row)),
    ...(row.bars.length === 0
      ? [`<text class="not-run" x="${scale.left + 4}" y="${y + 15}">not run</text>`]
      : []),
    ...row.marks.map((mark) => markPath(mark, y, scale)),
    '</g>',
  ].join('')
}

/** The run as a Gantt chart: a row per phase and step, bars from the journal's times, an axis in time since the start. */
export function ganttSvg(timeline: Timeline, scale: TimeScale, shades: Shade[] = []): string {
  const height = TOP + timeline.rows.length * ROW + 6
  const width = scale.left + scale.width + 30
  const axis = scale
    .ticks()
    .map(
      (t) =>
        `<line class="tick" x1="${t.x.toFixed(1)}" y1="${TOP - 4}" x2="${t.x.toFixed(1)}" y2="${height}"/>` +
        `<text class="tick-label" x="${t.x.toFixed(1)}" y="${TOP - 10}">${escapeHtml(t.label)}</text>`,
    )
    .join('')
  const shaded = shades
    .map((s) => {
      const x = scale.x(s.from)
      const w = Math.max(MIN_BAR, scale.x(s.to) - x)
      return `<rect class="shade" x="${x.toFixed(1)}" y="${TOP}" width="${w.toFixed(1)}" height="${height - TOP}">${title(s.label)}</rect>`
    })
    .join('')
  return [
    `<svg class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Timeline of the run">`,
    `<g class="axis">${axis}</g>`,
    ...timeline.rows.map((row, i) => rowGroup(row, i, scale)),
    shaded,
    '</svg>',
  ].join('\n')
}
