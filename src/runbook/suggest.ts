import { distance } from 'fastest-levenshtein'

/**
 * The closest known name to a misspelt one, if it is close enough to be a likely typo; `allowed`
 * widens what counts as close (a command name is short, and a swap of two letters costs two edits).
 */
export function closest(
  input: string,
  known: Iterable<string>,
  allowed = input.length <= 3 ? 1 : Math.max(2, Math.floor(input.length / 3)),
): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  const lowered = input.toLowerCase()
  for (const candidate of known) {
    const d = distance(lowered, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= allowed ? best : undefined
}

export function didYouMean(input: string, known: Iterable<string>): string | undefined {
  const match = closest(input, known)
  return match === undefined ? undefined : `did you mean '${match}'?`
}
