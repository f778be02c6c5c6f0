/** DNS names as Route 53 stores and returns them: lower case, a trailing dot, `*` written `\052`. */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase().replaceAll('*', '\\052')
  return lower.endsWith('.') ? lower : `${lower}.`
}

/** Names order by their labels reversed (`com.example.www.`), so a zone's records list together. */
function reversedLabels(name: string): string[] {
  return name.replace(/\.$/, '').split('.').reverse()
}

export function compareNames(a: string, b: string): number {
  const left = reversedLabels(a)
  const right = reversedLabels(b)
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const l = left[i] ?? ''
    const r = right[i] ?? ''
    if (l !== r) return l < r ? -1 : 1
  }
  return left.length - right.length
}

/** True when `name` is the zone apex or below it. */
export const isInZone = (name: string, zoneName: string): boolean =>
  name === zoneName || name.endsWith(`.${zoneName}`)
