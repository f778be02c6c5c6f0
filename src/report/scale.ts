/** Where a time falls on the report's charts: one axis shared by the Gantt and the request curve. */
export interface TimeScale {
  start: number
  end: number
  /** x of the chart's left edge, after the row labels. */
  left: number
  width: number
  x(at: number): number
  ticks(): Array<{ x: number; label: string }>
}

const STEPS_MS = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 14_400_000,
]

const tickLabel = (ms: number) =>
  ms === 0
    ? '0'
    : ms < 1000
      ? `+${ms} ms`
      : ms < 60_000
        ? `+${ms / 1000} s`
        : ms < 3_600_000
          ? `+${ms / 60_000} min`
          : `+${ms / 3_600_000} h`

export function timeScale(start: number, end: number, left: number, width: number): TimeScale {
  const span = Math.max(1, end - start)
  const x = (at: number) => left + ((at - start) / span) * width
  return {
    start,
    end,
    left,
    width,
    x,
    ticks() {
      const step = STEPS_MS.find((s) => span / s <= 10) ?? (STEPS_MS.at(-1) as number)
      const ticks: Array<{ x: number; label: string }> = []
      for (let t = 0; t <= span; t += step) ticks.push({ x: x(start + t), label: tickLabel(t) })
      return ticks
    },
  }
}
