import type { Clock } from '../aws/clock.js'
import type { DnsAnswer } from './weighted-answer.js'

/**
 * One client's stub resolver: it asks once, then keeps the answer for the record's TTL by the
 * sandbox's clock, as a resolver's cache does; so traffic moves off a set only as TTLs lapse.
 */
export function cachingResolver(ask: () => DnsAnswer | undefined, clock: Clock) {
  let cached: { answer: DnsAnswer; expiresAt: number } | undefined
  return (at: number = clock()): DnsAnswer | undefined => {
    if (cached && at < cached.expiresAt) return cached.answer
    const answer = ask()
    cached = answer && { answer, expiresAt: at + answer.ttl * 1000 }
    return answer
  }
}
