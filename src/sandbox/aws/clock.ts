/** Milliseconds since the epoch. Tests may pass their own to move time without sleeping. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
