import type { LoadBucket } from '../sandbox/load/tally.js'
import { escapeHtml } from './escape.js'
import type { Shade } from './gantt-svg.js'
import type { TimeScale } from './scale.js'

const HEIGHT = 150
const TOP = 14
const BOTTOM = 24

export const bucketTime = (bucket: LoadBucket) =>
  typeof bucket.at === 'number' ? bucket.at : Date.parse(bucket.at)

/**
 * Requests in each interval of the load generator, on the Gantt's time axis: passed (stacked below)
 * and failed (above, red), with the drill's detection windows shaded, so failures are seen against
 * the steps and faults that caused them.
 */
export function curveSvg(buckets: readonly LoadBucket[], scale: TimeScale, shades: Shade[] = []): string {
  const width = scale.left + scale.width + 30
  const plot = HEIGHT - TOP - BOTTOM
  const peak = Math.max(1, ...buckets.map((b) => b.ok + b.failed))
  const y = (n: number) => TOP + plot - (n / peak) * plot
  const times = buckets.map(bucketTime)
  const bars = buckets.map((b, i) => {
    const at = times[i] as number
    const next = times[i + 1] ?? at + ((times[i] as number) - (times[i - 1] ?? at - 1000))
    const x = scale.x(at)
    const w = Math.max(1, scale.x(next) - x - 0.5)
    const tip = `${new Date(at).toISOString()}: ${b.ok} ok, ${b.failed} failed (aws ${b.aws}, onprem ${b.onprem})`
    return (
      `<g class="bucket"><title>${escapeHtml(tip)}</title>` +
      `<rect class="ok" x="${x.toFixed(1)}" y="${y(b.ok).toFixed(1)}" width="${w.toFixed(1)}" height="${(TOP + plot - y(b.ok)).toFixed(1)}"/>` +
      (b.failed > 0
        ? `<rect class="failed" x="${x.toFixed(1)}" y="${y(b.ok + b.failed).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(b.ok) - y(b.ok + b.failed)).toFixed(1)}"/>`
        : '') +
      '</g>'
    )
  })
  const shaded = shades.map((s) => {
    const x = scale.x(s.from)
    return `<rect class="shade" x="${x.toFixed(1)}" y="${TOP}" width="${Math.max(3, scale.x(s.to) - x).toFixed(1)}" height="${plot}"><title>${escapeHtml(s.label)}</title></rect>`
  })
  const ticks = scale
    .ticks()
    .map(
      (t) => `<text class="tick-label" x="${t.x.toFixed(1)}" y="${HEIGHT - 6}">${escapeHtml(t.label)}</text>`,
    )
  return [
    `<svg class="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${HEIGHT}" width="${width}" height="${HEIGHT}" role="img" aria-label="Requests passed and failed over time">`,
    `<text class="label" x="4" y="${TOP + 10}">requests</text>`,
    `<text class="label" x="4" y="${TOP + 26}">peak ${peak}</text>`,
    `<line class="tick" x1="${scale.left}" y1="${TOP + plot}" x2="${scale.left + scale.width}" y2="${TOP + plot}"/>`,
    ...bars,
    ...shaded,
    ...ticks,
    '</svg>',
  ].join('\n')
}
