import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents, lines } from './helpers/cli.ts'

const aws = useAwsSandbox('targets')
const run = (dir: string, args: string[]) => aws.switchyard(dir, args)

const workspace = (role: string) =>
  aws.workspace(`version: 1
name: tagged
targets:
  web: { ec2: { tags: { Role: ${role}, Env: prod } } }
phases:
  - id: one
    steps:
      - id: list
        uses: exec
        with: { command: sh, args: [-c, 'echo "$IDS" >> seen.txt'], env: { IDS: "\${{ join(targets.web.instances, ' ') }}" } }
  - id: two
    approval: required
    steps:
      - id: again
        uses: exec
        with: { command: sh, args: [-c, 'echo "$IDS" >> seen.txt'], env: { IDS: "\${{ join(targets.web.instances, ' ') }}" } }
`)

describe('ec2 tag-query targets', () => {
  test('are found by their tags when the run starts and pinned: resume acts on the same instances', async () => {
    const a = aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web', Env: 'prod' } })
    const b = aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web', Env: 'prod' } })
    aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web', Env: 'staging' } })
    aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web', Env: 'prod' }, state: 'stopped' })
    const dir = workspace('web')
    const first = await run(dir, ['run', 'runbook.yaml'])
    assert.equal(first.code, 3, first.stdout + first.stderr)
    const expected = [a.id, b.id].sort().join(' ')
    assert.deepEqual(lines(join(dir, 'seen.txt')), [expected])
    const pinned = journalEvents(dir).find((e) => e.type === 'targets-resolved')
    assert.deepEqual(
      (pinned?.targets as Record<string, { instances: string[] }> | undefined)?.web?.instances,
      expected.split(' '),
    )

    aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web', Env: 'prod' } })
    const resumed = await run(dir, ['resume', '--approve', 'two'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(
      lines(join(dir, 'seen.txt')),
      [expected, expected],
      'the new instance is not picked up mid-run',
    )
  })

  test('a query that matches nothing stops the run before any step, naming the tags', async () => {
    const dir = workspace('nothing-has-this-role')
    const result = await run(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(
      result.stderr,
      /target web matches no running instance with tags Role=nothing-has-this-role, Env=prod/,
    )
    assert.deepEqual(lines(join(dir, 'seen.txt')), [])
    assert.equal(journalEvents(dir).at(-1)?.type, 'run-failed')
  })
})
