import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { type DemoPlatform, startDemoPlatform } from '../../src/sandbox/demo-platform.ts'
import { root } from './cli.ts'

export const flagshipRunbook = join(root, 'runbooks', 'giftcard-cutover.yaml')
export const flagshipSandboxParams = join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')

/** The demo platform for the flagship, on free ports (other test files may hold the fixed ones), seeding fast. */
export const startFlagshipPlatform = () =>
  startDemoPlatform({ fixedPorts: false, seedingBytesPerSecond: 2 * 1024 ** 3 })

/** `-p` flags over the flagship's sandbox params: the addresses `on` listens on, and times scaled down. */
export function flagshipOverrides(on: DemoPlatform): string[] {
  const { sql, webHealthUrl, dcs } = on.addresses
  return [
    ['sql_onprem', sql['SQL-ONPREM-1']],
    ['sql_aws', sql['SQL-AWS-1']],
    ['sql_onprem_2', sql['SQL-ONPREM-2']],
    ['web_health_url', webHealthUrl],
    ['bake', '200ms'],
    ['gate_poll', '100ms'],
    ['sql_poll', '200ms'],
    ...(dcs['dc-onprem-1']?.url ? [['dc_onprem_url', dcs['dc-onprem-1'].url]] : []),
    ...(dcs['dc-aws-1']?.url ? [['dc_aws_url', dcs['dc-aws-1'].url]] : []),
  ].flatMap(([name, value]) => ['-p', `${name}=${value}`])
}

/**
 * The flagship's platform for a test file: started before its tests, closed after them (then
 * `cleanup`, the file's scratch folder). Returns the platform, once started.
 */
export function flagshipPlatformForFile(cleanup: () => void): () => DemoPlatform {
  let platform: DemoPlatform | undefined
  before(async () => {
    platform = await startFlagshipPlatform()
  })
  after(async () => {
    await platform?.close()
    cleanup()
  })
  return () => {
    assert.ok(platform, 'the platform starts in before()')
    return platform
  }
}
