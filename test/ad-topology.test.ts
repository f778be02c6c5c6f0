// AD's replication schedule between sites, and the replication metadata a DC returns for an attribute:
// the arithmetic and parsing behind ad.sync's plan-time latency check and its evidence. The Samba tests
// (ad-samba.test.ts) run them against a real DC, which has one site; these cover two and more.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SwitchyardError } from '../src/errors.ts'
import {
  attidOf,
  compareMetadata,
  parseReplAttributeMetaData,
  parseReplPropertyMetaData,
} from '../src/steps/ad/repl-metadata.ts'
import {
  describeSchedule,
  refuseShortTimeout,
  type SiteLink,
  scheduleBetween,
  siteOf,
} from '../src/steps/ad/topology.ts'

const SITES = 'CN=Sites,CN=Configuration,DC=corp,DC=example'
const site = (name: string) => `CN=${name},${SITES}`
const link = (name: string, sites: string[], replIntervalMinutes: number, notify = false): SiteLink => ({
  name,
  sites: sites.map(site),
  replIntervalMinutes,
  notify,
})

const thrown = (run: () => void): SwitchyardError => {
  try {
    run()
  } catch (error) {
    return error as SwitchyardError
  }
  assert.fail('expected a refusal')
}

describe('the site-link schedule ad.sync checks in plan', () => {
  test("a DC's site is read from its server object's DN", () => {
    assert.equal(siteOf(`CN=DC1,CN=Servers,CN=Datacenter,${SITES}`), site('Datacenter'))
  })

  test('two DCs in one site replicate by change notification: no timeout is too short', () => {
    const schedule = scheduleBetween(site('Datacenter'), site('Datacenter'), [])
    assert.equal(schedule.worstCaseMs, undefined)
    refuseShortTimeout(schedule, 30_000, false)
    assert.match(describeSchedule(schedule), /^expected within seconds: both DCs are in site Datacenter/)
  })

  test('across a default site link the worst case is its interval, and a shorter timeout fails plan with what to do', () => {
    const schedule = scheduleBetween(site('Datacenter'), site('AWS'), [
      link('DC-AWS', ['Datacenter', 'AWS'], 180),
    ])
    assert.equal(schedule.worstCaseMs, 180 * 60_000)
    assert.equal(
      describeSchedule(schedule),
      'expected worst case 3h: Datacenter -> AWS via DC-AWS (every 180 min)',
    )
    const error = thrown(() => refuseShortTimeout(schedule, 5 * 60_000, false))
    assert.match(
      error.message,
      /^the canary may take up to 3h to arrive \(Datacenter -> AWS via DC-AWS \(every 180 min\)\), longer than the step's timeout of 5m/,
    )
    assert.match(error.hint ?? '', /add trigger: .*enable change notification on the site link/)
    refuseShortTimeout(schedule, 4 * 3_600_000, false)
    refuseShortTimeout(schedule, 5 * 60_000, true)
  })

  test('the quickest path through a hub counts each hop, and change notification on a link costs nothing', () => {
    const links = [
      link('DC-HUB', ['Datacenter', 'Hub'], 15),
      link('HUB-AWS', ['Hub', 'AWS'], 30),
      link('DC-AWS-SLOW', ['Datacenter', 'AWS'], 180),
    ]
    assert.equal(scheduleBetween(site('Datacenter'), site('AWS'), links).worstCaseMs, 45 * 60_000)
    const notifying = [link('DC-AWS', ['Datacenter', 'AWS'], 180, true)]
    assert.equal(scheduleBetween(site('Datacenter'), site('AWS'), notifying).worstCaseMs, undefined)
  })

  test('sites no link joins never replicate on their own: any timeout fails without a trigger', () => {
    const schedule = scheduleBetween(site('Datacenter'), site('AWS'), [
      link('OTHER', ['Datacenter', 'Branch'], 60),
    ])
    const error = thrown(() => refuseShortTimeout(schedule, 24 * 3_600_000, false))
    assert.match(
      error.message,
      /may take never, on its own to arrive \(no site link joins Datacenter -> AWS\)/,
    )
  })
})

describe('replication metadata as evidence', () => {
  // A contact's replPropertyMetaData as a Samba 4.17 DC returned it (objectClass, cn, description, ...).
  const blob = Buffer.from(
    'AQAAAAAAAAAIAAAAAAAAAAAAAAABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAAMAAAABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAA0AAAABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAAEAAgABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAAIAAgABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAABkBAgABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAAEACQABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAA4DCQABAAAADn8jIQMAAABkvYZGfJUeQbupRPCQMuvY+w8AAAAAAAD7DwAAAAAAAA==',
    'base64',
  )

  test("description's entry is found by its attribute id, with version, originating DSA and USN", () => {
    assert.equal(attidOf('2.5.4.13'), 13)
    assert.equal(attidOf('1.2.840.113556.1.2.226'), 0x200e2)
    const description = parseReplPropertyMetaData(blob, 13)
    assert.deepEqual(description, {
      version: 1,
      originating_time: '2026-12-04T16:45:02.000Z',
      originating_invocation_id: '4686bd64-957c-411e-bba9-44f09032ebd8',
      originating_usn: 4091,
      local_usn: 4091,
    })
  })

  test("Windows' msDS-ReplAttributeMetaData XML gives the same fields; two DCs holding one write match", () => {
    const xml = (usnLocal: number) =>
      `<DS_REPL_ATTR_META_DATA><pszAttributeName>description</pszAttributeName><dwVersion>3</dwVersion><ftimeLastOriginatingChange>2026-12-04T02:00:00Z</ftimeLastOriginatingChange><uuidLastOriginatingDsaInvocationID>5c1c1d2e-0000-4000-8000-000000000001</uuidLastOriginatingDsaInvocationID><usnOriginatingChange>88123</usnOriginatingChange><usnLocalChange>${usnLocal}</usnLocalChange></DS_REPL_ATTR_META_DATA>`
    const onSource = parseReplAttributeMetaData([xml(88123)], 'description')
    const onTarget = parseReplAttributeMetaData(
      [
        '<DS_REPL_ATTR_META_DATA><pszAttributeName>cn</pszAttributeName></DS_REPL_ATTR_META_DATA>',
        xml(41007),
      ],
      'description',
    )
    assert.ok(onSource && onTarget)
    assert.equal(compareMetadata(onSource, onTarget).same_write, true)
    assert.equal(compareMetadata(onSource, { ...onTarget, version: 2 }).same_write, false)
  })
})
