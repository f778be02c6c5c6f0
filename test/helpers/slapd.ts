// Two real OpenLDAP servers for a test file (provider = on-premises DC, consumer = AWS DC), started in
// before() and stopped in after(); see src/sandbox/ldap/slapd.ts.
import { after, afterEach, before } from 'node:test'
import { type SeedEntry, type SlapdPair, slapdMissing, startSlapdPair } from '../../src/sandbox/ldap/slapd.ts'
import { tempDir } from './cli.ts'

/** Why these tests cannot run here (slapd not installed), or undefined. */
export const slapdSkipReason = slapdMissing()

/** A provider/consumer pair for the file; a test that stops the consumer gets it back afterwards. */
export function useSlapdPair(seed: SeedEntry[], password = 'secret') {
  const scratch = tempDir('slapd')
  let pair: SlapdPair | undefined
  before(async () => {
    if (!slapdSkipReason) pair = await startSlapdPair({ dir: scratch.dir, seed, password })
  })
  afterEach(async () => {
    if (pair && !pair.consumer.running()) {
      await pair.startConsumer()
      await pair.waitConverged()
    }
  })
  after(async () => {
    await pair?.close()
    scratch.cleanup()
  })
  return {
    get pair(): SlapdPair {
      if (!pair) throw new Error('the slapd pair starts in before(); use it inside a test')
      return pair
    },
  }
}
