// sql.add-replica's rollback of the listener IP through the Windows failover cluster: the real mssql client
// against the sandbox's TDS servers for the replica, the real SSM client against the sandbox's AWS for the
// cluster script, answered by the sandbox's cluster responder from the same SQL world.
import assert from 'node:assert/strict'
import { afterEach, before, describe, test } from 'node:test'
import { AwsClients } from '../src/clients/aws.ts'
import { demoSqlWorld, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import { clusterResponder } from '../src/sandbox/windows/cluster.ts'
import type { StepImplementation } from '../src/steps/contract.ts'
import { type AddReplicaParams, sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { CLUSTER_SCRIPT_MARKER, listenerIpQueryInScript } from '../src/steps/sql/cluster-script.ts'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { DEMO_ADD_REPLICA, DEMO_AG, demoSqlTargets } from './helpers/sql-demo.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'

const PASSWORD = 'Seed-and-switch-2024!'
const AG = DEMO_AG
const ADD = DEMO_ADD_REPLICA

const aws = useAwsSandbox('sql-listener-ip')
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// The step's SDK clients read credentials from the environment, as they would on an operator's machine.
before(() => {
  process.env.AWS_ACCESS_KEY_ID ??= 'sandbox'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'sandbox'
})

interface Platform {
  world: SqlWorld
  /** The WSFC nodes as SSM instances: SQL-ONPREM-1's and SQL-AWS-1's. */
  nodes: string[]
  context(): TestStepContext
}

/** A fresh gift-card SQL world on its own TDS servers, two cluster nodes in the AWS sandbox answering for it. */
async function platform(): Promise<Platform> {
  const world = demoSqlWorld({ password: PASSWORD, seedingBytesPerSecond: 4000 * 1024 * 1024 })
  const sandbox = await startSqlSandbox({ world })
  cleanups.push(() => sandbox.close())
  const targets = demoSqlTargets(sandbox, PASSWORD)
  const nodes = ['sql-onprem-1', 'sql-aws-1'].map(
    (name) => aws.sandbox.world.ec2.addInstance({ tags: { Name: name, Role: 'sql', Env: 'test' } }).id,
  )
  for (const id of nodes) cleanups.push(() => aws.sandbox.world.ec2.setState(id, 'terminated'))
  cleanups.push(aws.sandbox.world.ssm.respond(clusterResponder(world, nodes)))
  return {
    world,
    nodes,
    context: () => {
      const t = createStepContext({
        workdir: process.cwd(),
        stepId: 'add-replica',
        targets,
        secrets: [PASSWORD],
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 25))),
      })
      const clients = new AwsClients({ region: 'us-east-1', endpoint: aws.sandbox.url })
      Object.assign(t.ctx, { aws: clients })
      cleanups.push(
        () => t.close(),
        () => clients.destroy(),
      )
      return t
    },
  }
}

async function loaded(raw: Record<string, unknown>) {
  const params = sqlAddReplica.params.parse(raw) as AddReplicaParams
  const implementation = (await sqlAddReplica.load()) as StepImplementation<AddReplicaParams>
  return { params, implementation }
}

/** plan then apply, as the engine does; returns the plan and the undo data apply recorded. */
async function applied(p: Platform, raw: Record<string, unknown>) {
  const { params, implementation } = await loaded(raw)
  const t = p.context()
  const plan = await implementation.plan(t.ctx, params)
  await implementation.apply(t.ctx, params, plan)
  return { plan, undo: t.undo, params, implementation }
}

const listenerIps = (world: SqlWorld) => world.group(AG)?.listener?.ips.map((i) => i.ip)
const hasAwsReplica = (world: SqlWorld) =>
  world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1') ?? false
const messages = (t: TestStepContext) => t.progress.map((p) => p.message ?? '').join('\n')
const clusterCommands = (since: number) =>
  aws.sandbox.world.ssm
    .commands()
    .slice(since)
    .filter((c) => (c.parameters.commands ?? []).join('\n').startsWith(CLUSTER_SCRIPT_MARKER))

describe('sql.add-replica with cluster_node', () => {
  test('plans the listener IP as undoable; rollback removes the replica and the IP through the cluster on the first node', async () => {
    const p = await platform()
    const withCluster = { ...ADD, cluster_node: { instances: p.nodes } }
    assert.equal(sqlAddReplica.usesAws instanceof Function && sqlAddReplica.usesAws(withCluster), true)
    const { plan, undo, params, implementation } = await applied(p, withCluster)
    const ipChange = plan.changes.find((c) => c.target === 'listener giftcard-lsn')
    assert.ok(ipChange, 'the listener IP is planned')
    assert.equal(ipChange.manualUndo, undefined, 'rollback can undo it')
    assert.match(ipChange.summary, new RegExp(`removes it through the cluster on ${p.nodes[0]}`))
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50', '10.20.1.50'])
    assert.ok(hasAwsReplica(p.world))

    const since = aws.sandbox.world.ssm.commands().length
    const back = p.context()
    await implementation.compensate?.(back.ctx, params, undo)
    assert.equal(hasAwsReplica(p.world), false, 'the replica is gone')
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50'], 'and so is its listener IP')
    const sent = clusterCommands(since)
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.documentName, 'AWS-RunPowerShellScript')
    assert.deepEqual(
      sent[0]?.invocations.map((i) => i.instanceId),
      [p.nodes[0]],
    )
    assert.deepEqual(listenerIpQueryInScript((sent[0]?.parameters.commands ?? []).join('\n')), {
      ag: AG,
      listener: 'giftcard-lsn',
      ip: '10.20.1.50',
    })
    assert.match(messages(back), /removed listener IP 10\.20\.1\.50 from giftcard-lsn through the cluster/)

    // Rolling back twice is safe: the cluster reports the IP already gone.
    const again = p.context()
    await implementation.compensate?.(again.ctx, params, undo)
    assert.match(messages(again), /listener IP 10\.20\.1\.50 was already gone from giftcard-lsn/)
  })

  test('a node SSM cannot reach is skipped for the next one', async () => {
    const p = await platform()
    const { undo, params, implementation } = await applied(p, {
      ...ADD,
      cluster_node: { instances: p.nodes },
    })
    aws.sandbox.world.ec2.setState(p.nodes[0] as string, 'stopped')
    const since = aws.sandbox.world.ssm.commands().length
    await implementation.compensate?.(p.context().ctx, params, undo)
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50'])
    assert.deepEqual(
      clusterCommands(since).flatMap((c) => c.invocations.map((i) => i.instanceId)),
      [p.nodes[1]],
    )
  })

  test('the cluster reporting an error fails the rollback naming node, listener, IP and the manual command; the replica is already gone', async () => {
    const p = await platform()
    const { undo, params, implementation } = await applied(p, {
      ...ADD,
      cluster_node: { instances: p.nodes },
    })
    cleanups.push(
      aws.sandbox.world.ssm.respond((_id, _doc, parameters) =>
        listenerIpQueryInScript((parameters.commands ?? []).join('\n'))
          ? {
              stdout: `SWITCHYARD-CLUSTER {"v":1,"error":"You do not have administrative privileges on the cluster."}\r\n`,
              stderr: 'WARNING: the cluster service answered slowly',
              exitCode: 0,
              durationMs: 50,
            }
          : undefined,
      ),
    )
    await assert.rejects(
      implementation.compensate?.(p.context().ctx, params, undo) ?? Promise.reject(),
      (error: Error) => {
        assert.match(error.message, new RegExp(`on ${p.nodes[0]}`))
        assert.match(error.message, /listener IP 10\.20\.1\.50 of giftcard-lsn/)
        assert.match(error.message, /administrative privileges on the cluster/)
        assert.match(error.message, /stderr: WARNING: the cluster service answered slowly/)
        const hint = String((error as { hint?: string }).hint)
        assert.match(hint, /Remove-ClusterResource -Force/)
        assert.match(hint, /10\.20\.1\.50/)
        return true
      },
    )
    assert.equal(hasAwsReplica(p.world), false, 'the replica was removed before the cluster was asked')
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50', '10.20.1.50'])
  })

  test('PowerShell failing before the result line fails the rollback with its stderr tail', async () => {
    const p = await platform()
    const { undo, params, implementation } = await applied(p, {
      ...ADD,
      cluster_node: { instances: p.nodes },
    })
    const stderr =
      "Import-Module : The specified module 'FailoverClusters' was not loaded because no valid module file was found in any module directory."
    cleanups.push(
      aws.sandbox.world.ssm.respond((_id, _doc, parameters) =>
        listenerIpQueryInScript((parameters.commands ?? []).join('\n'))
          ? { stdout: '', stderr, exitCode: 1, durationMs: 50 }
          : undefined,
      ),
    )
    await assert.rejects(
      implementation.compensate?.(p.context().ctx, params, undo) ?? Promise.reject(),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`listener IP 10\\.20\\.1\\.50 of giftcard-lsn through the cluster on ${p.nodes[0]}`),
        )
        assert.match(error.message, /printed no SWITCHYARD-CLUSTER line/)
        assert.match(error.message, /'FailoverClusters' was not loaded/)
        assert.match(String((error as { hint?: string }).hint), /Remove-ClusterResource/)
        return true
      },
    )
    assert.equal(hasAwsReplica(p.world), false)
  })

  test('the sandbox cluster refuses the IP that is online in the primary subnet, as the cluster would', async () => {
    const p = await platform()
    assert.throws(() => p.world.removeListenerIp(AG, 'giftcard-lsn', '10.10.1.50'), /is Online/)
    assert.equal(p.world.removeListenerIp(AG, 'giftcard-lsn', '10.20.1.99'), 'already_absent')
  })
})

describe('sql.add-replica without cluster_node', () => {
  test('keeps the listener IP manual: planned manualUndo, rollback leaves it and says how to remove it, no SSM', async () => {
    const p = await platform()
    assert.equal(sqlAddReplica.usesAws instanceof Function && sqlAddReplica.usesAws(ADD), false)
    const { plan, undo, params, implementation } = await applied(p, ADD)
    assert.equal(plan.changes.find((c) => c.target === 'listener giftcard-lsn')?.manualUndo, true)
    const since = aws.sandbox.world.ssm.commands().length
    const back = p.context()
    await implementation.compensate?.(back.ctx, params, undo)
    assert.equal(hasAwsReplica(p.world), false)
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50', '10.20.1.50'])
    assert.match(messages(back), /listener IP 10\.20\.1\.50 stays on giftcard-lsn: T-SQL cannot remove it/)
    assert.equal(aws.sandbox.world.ssm.commands().length, since)
  })
})

describe("sql.add-replica with the AWS node's ENI", () => {
  /** The AWS SQL node in 10.20.1.0/24, as EC2 holds it: one instance, its primary ENI. */
  function awsNode(privateIp = '10.20.1.10') {
    const instance = aws.sandbox.world.ec2.addInstance({
      tags: { Name: 'sql-aws-1', Role: 'sql', Env: 'test' },
      privateIp,
    })
    cleanups.push(() => aws.sandbox.world.ec2.setState(instance.id, 'terminated'))
    const [eni] = aws.sandbox.world.ec2.networkInterfacesOf(instance.id)
    if (!eni) throw new Error('the sandbox gave the instance no ENI')
    return { instance: instance.id, eni }
  }
  const withEni = (where: Record<string, string>) => ({
    ...ADD,
    listener_ip: { ...ADD.listener_ip, aws: where },
  })

  test('the listener IP becomes a secondary private IP of the node found by instance; planned, idempotent, unassigned by rollback', async () => {
    const p = await platform()
    const node = awsNode()
    const raw = withEni({ instance: node.instance })
    assert.equal(sqlAddReplica.usesAws instanceof Function && sqlAddReplica.usesAws(raw), true)
    aws.sandbox.log.clear()
    const { plan, undo, params, implementation } = await applied(p, raw)
    assert.match(
      plan.changes.find((c) => c.target === `ENI ${node.eni.id}`)?.summary ?? '',
      new RegExp(
        `assign 10\\.20\\.1\\.50 as a secondary private IP of ${node.eni.id} \\(${node.instance}\\)`,
      ),
    )
    assert.deepEqual(node.eni.secondaryIps, ['10.20.1.50'])
    assert.deepEqual(
      aws.sandbox.log.of('ec2', 'AssignPrivateIpAddresses').map((c) => c.params),
      [{ NetworkInterfaceId: node.eni.id, PrivateIpAddress: ['10.20.1.50'] }],
    )
    assert.deepEqual(
      (await implementation.plan(p.context().ctx, params)).changes,
      [],
      'the IP is on the ENI and the replica joined: nothing more to do',
    )

    await implementation.compensate?.(p.context().ctx, params, undo)
    assert.deepEqual(node.eni.secondaryIps, [], 'rollback unassigned it')
    assert.equal(hasAwsReplica(p.world), false)
    const again = p.context()
    await implementation.compensate?.(again.ctx, params, undo)
    assert.match(messages(again), new RegExp(`10\\.20\\.1\\.50 was already gone from ${node.eni.id}`))
  })

  test('an IP another interface holds is refused at plan, before anything changes', async () => {
    const p = await platform()
    const node = awsNode()
    const other = awsNode('10.20.1.11')
    aws.sandbox.world.ec2.assignPrivateIps(other.eni.id, ['10.20.1.50'], false)
    const { params, implementation } = await loaded(withEni({ network_interface: node.eni.id }))
    await assert.rejects(
      implementation.plan(p.context().ctx, params),
      new RegExp(
        `listener IP 10\\.20\\.1\\.50 is already a private IP of ${other.eni.id} \\(${other.instance}\\)`,
      ),
    )
    assert.equal(hasAwsReplica(p.world), false)
  })

  test("an IP outside the ENI's subnet fails with EC2's reason before SQL Server is changed", async () => {
    const p = await platform()
    const node = awsNode()
    const raw = {
      ...withEni({ network_interface: node.eni.id }),
      listener_ip: { ...ADD.listener_ip, ip: '10.30.1.50', aws: { network_interface: node.eni.id } },
    }
    await assert.rejects(
      applied(p, raw),
      /Address 10\.30\.1\.50 does not fall within the subnet's address range/,
    )
    assert.equal(hasAwsReplica(p.world), false)
    assert.deepEqual(listenerIps(p.world), ['10.10.1.50'])
  })
})
