// ssm.patch-compliance through the built CLI, the real SSM client talking JSON 1.1 to the sandbox's
// Patch Manager: EC2 and on-premises (mi-) instances alike.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import {
  DescribeInstancePatchesCommand,
  paginateDescribeInstanceInformation,
  paginateDescribeInstancePatches,
  SSMClient,
} from '@aws-sdk/client-ssm'
import type { Patch } from '../src/sandbox/aws/index.ts'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents } from './helpers/cli.ts'

const aws = useAwsSandbox('patch-compliance', { freshPerTest: true })
let n = 0

beforeEach(() => {
  n++
})

const world = () => aws.sandbox.world
const run = (dir: string, args: string[] = ['run', 'runbook.yaml']) => aws.switchyard(dir, args)

const CUMULATIVE: Patch = {
  kbId: 'KB5046616',
  title: '2026-11 Cumulative Update for Windows Server 2022',
  classification: 'SecurityUpdates',
  severity: 'Critical',
  state: 'INSTALLED',
}
const DEFENDER: Patch = {
  kbId: 'KB2267602',
  title: 'Security Intelligence Update for Microsoft Defender Antivirus',
  classification: 'DefinitionUpdates',
  severity: 'Unspecified',
  state: 'INSTALLED',
}
const SERVICING: Patch = {
  kbId: 'KB5043936',
  title: 'Servicing Stack Update for Windows Server 2022',
  classification: 'SecurityUpdates',
  severity: 'Important',
  state: 'INSTALLED',
}

/** An EC2 instance and an on-premises server, tagged for run `n`, both patched and scanned. */
function servers() {
  const tags = { Role: 'sql', Cutover: `c${n}` }
  const ec2 = world().ec2.addInstance({ tags: { Name: `sql-aws-${n}`, ...tags } }).id
  const onPrem = `mi-0${String(n).padStart(16, '0')}`
  world().ssm.addManagedInstance(onPrem, `SQL-ONPREM-${n}`, tags)
  for (const id of [ec2, onPrem])
    world().ssm.patching.setPatching(id, { patches: [CUMULATIVE, DEFENDER, SERVICING] })
  return { ec2, onPrem }
}

const oneStep = (w: string) => `version: 1
name: patches-${n}
phases:
  - id: preflight
    steps:
      - id: patches
        uses: ssm.patch-compliance
        retry: { attempts: 1 }
        with: ${w}
`
const byTags = () => oneStep(`{ tags: { Role: sql, Cutover: c${n} } }`)

describe('ssm.patch-compliance', () => {
  test('passes when every instance found by tags, EC2 and mi- alike, is COMPLIANT with its baseline', async () => {
    const { ec2, onPrem } = servers()
    const dir = aws.workspace(byTags())
    const result = await run(dir)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const outputs = journalEvents(dir).find((e) => e.type === 'step-applied')?.outputs as {
      instances: Record<string, { status: string; baseline: string }>
    }
    assert.deepEqual(Object.keys(outputs.instances).sort(), [ec2, onPrem].sort())
    for (const verdict of Object.values(outputs.instances)) {
      assert.equal(verdict.status, 'COMPLIANT')
      assert.match(verdict.baseline, /patchbaseline\/pb-/)
    }
    assert.equal(
      aws.sandbox.log.of('ssm', 'DescribeInstancePatches').length,
      0,
      'no patch list for the compliant',
    )
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })

  test('a non-compliant instance fails, listing its missing critical and security patches; one never scanned fails closed', async () => {
    const { ec2, onPrem } = servers()
    world().ssm.patching.setPatching(onPrem, {
      patches: [
        { ...CUMULATIVE, state: 'MISSING' },
        { ...SERVICING, state: 'FAILED' },
        { ...DEFENDER, state: 'MISSING' },
      ],
    })
    const unscanned = world().ec2.addInstance({ tags: { Role: 'sql', Cutover: `c${n}` } }).id
    const result = await run(aws.workspace(byTags()))
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /2 of 3 instances not patch-compliant/)
    assert.match(
      result.stdout,
      new RegExp(
        `${onPrem} NON_COMPLIANT with pb-\\w+: 1 critical, 1 security, 1 other not installed: KB5046616 2026-11 Cumulative Update for Windows Server 2022 \\(SecurityUpdates, Critical, MISSING\\); KB5043936 Servicing Stack Update for Windows Server 2022 \\(SecurityUpdates, Important, FAILED\\)`,
      ),
    )
    assert.doesNotMatch(result.stdout, /KB2267602/, 'a definition update is not listed beside critical ones')
    assert.match(
      result.stdout,
      new RegExp(`${unscanned} has no patch data \\(never scanned by Patch Manager\\)`),
    )
    assert.doesNotMatch(result.stdout, new RegExp(`${ec2} NON_COMPLIANT`))
  })

  test('a scan older than max_scan_age fails; ids given directly are read without the tag lookup', async () => {
    const { ec2, onPrem } = servers()
    world().ssm.patching.setPatching(ec2, {
      patches: [CUMULATIVE],
      scannedAt: Date.now() - 10 * 24 * 3_600_000,
    })
    const result = await run(aws.workspace(oneStep(`{ instances: [${ec2}, ${onPrem}], max_scan_age: 168h }`)))
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, new RegExp(`${ec2} last scanned 240h ago \\(max_scan_age 168h\\)`))
    assert.equal(aws.sandbox.log.of('ssm', 'DescribeInstanceInformation').length, 0)
  })

  test('tags no instance has fail closed; a throttled read is retried; SSM failing every attempt names the operation', async () => {
    const none = await run(aws.workspace(oneStep(`{ tags: { Role: nowhere-${n} } }`)))
    assert.equal(none.code, 1, none.stdout + none.stderr)
    assert.match(none.stdout, new RegExp(`no instance managed by SSM has the tags Role=nowhere-${n}`))

    servers()
    aws.sandbox.faults.add({
      service: 'ssm',
      operation: 'DescribeInstancePatchStates',
      kind: 'throttle',
      times: 2,
    })
    const throttled = await run(aws.workspace(byTags()))
    assert.equal(throttled.code, 0, throttled.stdout + throttled.stderr)
    assert.deepEqual(
      aws.sandbox.log.of('ssm', 'DescribeInstancePatchStates').map((c) => c.error ?? 'ok'),
      ['ThrottlingException', 'ThrottlingException', 'ok'],
    )

    aws.sandbox.faults.add({
      service: 'ssm',
      operation: 'DescribeInstancePatchStates',
      kind: 'server-error',
      times: 6,
    })
    const broken = await run(aws.workspace(byTags()))
    assert.equal(broken.code, 1, broken.stdout + broken.stderr)
    assert.match(broken.stdout, /SSM DescribeInstancePatchStates failed after 6 attempts: InternalFailure/)
  })

  test('a dry run reports the missing patch as what would fail today, and only reads', async () => {
    const { onPrem } = servers()
    world().ssm.patching.setPatching(onPrem, {
      patches: [{ ...CUMULATIVE, state: 'INSTALLED_PENDING_REBOOT' }],
    })
    const result = await run(aws.workspace(byTags()), ['run', 'runbook.yaml', '--dry-run'])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /would fail today: 1 of 2 instances not patch-compliant/)
    assert.match(result.stdout, /KB5046616 .*INSTALLED_PENDING_REBOOT/)
    assert.match(
      result.stdout,
      /dry run complete: nothing was changed, but 1 of 1 check\(s\) would fail today: preflight\.patches/,
    )
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })
})

describe("the sandbox answers the SSM client's Patch Manager reads as AWS does", () => {
  test('pages the inventory and a patch list with NextToken; an instance with no patch data is InvalidInstanceId', async () => {
    const ssm = new SSMClient({
      endpoint: aws.sandbox.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
    try {
      const tags = { Cutover: `paged-${n}` }
      const managed = [1, 2, 3, 4, 5, 6].map((i) => {
        const id = `mi-0${String(n * 10 + i).padStart(16, '0')}`
        world().ssm.addManagedInstance(id, `server-${i}`, tags)
        return id
      })
      const listed: string[] = []
      for await (const page of paginateDescribeInstanceInformation(
        { client: ssm, pageSize: 5 },
        { Filters: [{ Key: `tag:Cutover`, Values: [`paged-${n}`] }] },
      ))
        listed.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId as string))
      assert.deepEqual(listed, managed)
      assert.equal(aws.sandbox.log.of('ssm', 'DescribeInstanceInformation').length, 2)

      const patches = Array.from({ length: 12 }, (_, i) => ({
        ...DEFENDER,
        kbId: `KB${100 + i}`,
        state: 'MISSING' as const,
      }))
      world().ssm.patching.setPatching(managed[0] as string, { patches })
      const kbs: string[] = []
      for await (const page of paginateDescribeInstancePatches(
        { client: ssm, pageSize: 10 },
        { InstanceId: managed[0], Filters: [{ Key: 'State', Values: ['Missing'] }] },
      ))
        kbs.push(...(page.Patches ?? []).map((p) => p.KBId as string))
      assert.deepEqual(
        kbs,
        patches.map((p) => p.kbId),
      )
      await assert.rejects(
        ssm.send(new DescribeInstancePatchesCommand({ InstanceId: managed[1] })),
        (error: Error & { $metadata: { httpStatusCode: number } }) =>
          error.name === 'InvalidInstanceId' && error.$metadata.httpStatusCode === 400,
      )
    } finally {
      ssm.destroy()
    }
  })
})
