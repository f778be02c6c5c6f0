/** Colours for our own text; each is the identity when colour is off. */
export interface Paint {
  dim: (text: string) => string
  red: (text: string) => string
  green: (text: string) => string
  yellow: (text: string) => string
  bold: (text: string) => string
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`
const plain = (text: string) => text

export function colours(enabled: boolean): Paint {
  if (!enabled) return { dim: plain, red: plain, green: plain, yellow: plain, bold: plain }
  return { dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22) }
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function coloursFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Paint {
  return colours(stream.isTTY === true && !env.NO_COLOR)
}
