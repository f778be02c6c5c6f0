import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type { TLSSocket } from 'node:tls'
import { AwsClients } from '../src/clients/aws.ts'
import { createIisFleet, type IisSandbox, startIisSandbox } from '../src/sandbox/windows/iis.ts'
import type { StepContext } from '../src/steps/contract.ts'
import { type IisHealthParams, iisHealthParams } from '../src/steps/iis/health.ts'
import { iisHealthStep } from '../src/steps/iis/health-step.ts'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { certificateAuthority } from './helpers/certificates.ts'
import { journalEvents, tempDir } from './helpers/cli.ts'
import { createStepContext } from './helpers/step-context.ts'
import { startWebTier } from './helpers/web-tier.ts'

const aws = useAwsSandbox('iis-health')
const scratch = tempDir('iis-health-certs')
const cleanups: Array<() => unknown> = []

after(() => scratch.cleanup())
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// ---- certificates: a CA, and leaves for localhost/127.0.0.1 that expire in 400 and in 3 days ----

interface Leaf {
  key: string
  cert: string
}
let caFile: string
const leaves: Record<'good' | 'expiring', Leaf> = {} as Record<'good' | 'expiring', Leaf>

before(() => {
  const ca = certificateAuthority(scratch.dir)
  for (const [name, days] of [
    ['good', 400],
    ['expiring', 3],
  ] as const) {
    const { certFile, keyFile } = ca.issue(name, days)
    leaves[name] = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') }
  }
  caFile = ca.caFile
})

// ---- real local servers ----

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A server on 127.0.0.1 (HTTPS with `tls`), closed after the test; answers with `handler`. */
async function serve(handler: Handler, tls?: Leaf): Promise<{ host: string; requests: () => number }> {
  let requests = 0
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests++
    void handler(req, res)
  }
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests }
}

const answer = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' })
  res.end(body)
}
const healthy = answer(200, '{"status":"Healthy","checks":{"db":true}}')

// ---- running the step in-process ----

const FAST = { interval: '50ms', deadline: '3s', request_timeout: '2s' }

// The step's SDK clients read credentials from the environment, as they would on an operator's machine.
before(() => {
  process.env.AWS_ACCESS_KEY_ID ??= 'sandbox'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'sandbox'
})

function context(withAws = false) {
  const step = createStepContext({ workdir: scratch.dir, stepId: 'web-health' })
  if (withAws) {
    const clients = new AwsClients({ region: 'us-east-1', endpoint: aws.sandbox.url })
    Object.assign(step.ctx, { aws: clients })
    cleanups.push(() => clients.destroy())
  }
  return step
}

const paramsOf = (params: Record<string, unknown>): IisHealthParams =>
  iisHealthParams.parse({ ...FAST, ...params })

async function apply(params: Record<string, unknown>, ctx: StepContext = context().ctx) {
  const p = paramsOf(params)
  return (await iisHealthStep.apply(ctx, p, await iisHealthStep.plan(ctx, p))) as {
    hosts: Record<
      string,
      { status: number | null; latency_ms: number; passes: number; last_error?: string; cert_days?: number }
    >
    server_side?: Record<string, { passed: boolean; app_pools?: Record<string, string>; problems?: string[] }>
    warnings?: string[]
  }
}

async function applyFails(params: Record<string, unknown>, ctx?: StepContext): Promise<string> {
  const error = await apply(params, ctx).then(
    () => assert.fail('the step passed'),
    (e: Error) => e,
  )
  return error.message
}

describe('iis.health over HTTP', () => {
  test('passes once every host has consecutive_successes passes in a row, with per-host outputs', async () => {
    const a = await serve(healthy)
    const b = await serve(healthy)
    const { ctx, progress } = context()
    const out = await apply(
      {
        hosts: [a.host, b.host],
        url: 'http://{host}/health',
        consecutive_successes: 3,
        expect: { body: 'Healthy' },
      },
      ctx,
    )
    for (const server of [a, b]) {
      const host = out.hosts[server.host]
      assert.equal(host?.status, 200)
      assert.equal(host?.passes, 3)
      assert.equal(host?.last_error, undefined)
      assert.ok((host?.latency_ms ?? -1) >= 0)
      assert.equal(server.requests(), 3, 'a host that has passed 3 in a row is not probed again')
    }
    assert.match(progress.at(-1)?.message ?? '', /2\/2 hosts healthy/)
  })

  test('warmup requests are sent first and not judged', async () => {
    let seen = 0
    const warming = await serve((req, res) =>
      ++seen <= 2 ? answer(503, 'warming up')(req, res) : healthy(req, res),
    )
    const out = await apply({
      hosts: [warming.host],
      url: 'http://{host}/',
      warmup: 2,
      consecutive_successes: 2,
      deadline: '200ms',
    })
    assert.equal(out.hosts[warming.host]?.passes, 2)
    assert.equal(warming.requests(), 4)
  })

  test('a flapping endpoint never reaches consecutive_successes and the failure names the host', async () => {
    let n = 0
    const flapping = await serve((req, res) =>
      n++ % 2 === 0 ? healthy(req, res) : answer(503, 'Service Unavailable')(req, res),
    )
    const steady = await serve(healthy)
    const message = await applyFails({
      hosts: [steady.host, flapping.host],
      url: 'http://{host}/health',
      consecutive_successes: 3,
      deadline: '600ms',
    })
    assert.match(message, /1 of 2 hosts not healthy by the 600ms deadline/)
    assert.match(
      message,
      new RegExp(
        `${flapping.host}: [01] of 3 passes in a row after \\d+ probes; last failure: expected status 200, got 503 "Service Unavailable"`,
      ),
    )
    assert.doesNotMatch(message, new RegExp(`${steady.host}:`))
    assert.ok(flapping.requests() >= 6, `probed ${flapping.requests()} times in 600ms at 50ms`)
  })

  test('a slow endpoint fails the latency bound', async () => {
    const slow = await serve(async (req, res) => {
      await delay(250)
      healthy(req, res)
    })
    const message = await applyFails({
      hosts: [slow.host],
      url: 'http://{host}/health',
      max_latency: '100ms',
      consecutive_successes: 1,
      deadline: '400ms',
    })
    assert.match(message, /latency (2[5-9]\d|[3-9]\d\d)ms over max 100ms/)
  })

  test('a request with no answer in request_timeout fails naming the timeout', async () => {
    const hung = await serve(() => undefined)
    const message = await applyFails({
      hosts: [hung.host],
      url: 'http://{host}/health',
      request_timeout: '100ms',
      consecutive_successes: 1,
      deadline: '150ms',
    })
    assert.match(message, /no answer within 100ms/)
  })

  test('a body mismatch names what was expected and what came', async () => {
    const degraded = await serve(answer(200, 'Degraded: database latency 2300ms'))
    const message = await applyFails({
      hosts: [degraded.host],
      url: 'http://{host}/health',
      expect: { body: 'Healthy', body_regex: '^OK$' },
      consecutive_successes: 1,
      deadline: '100ms',
    })
    assert.match(message, /expected body to contain "Healthy", got "Degraded: database latency 2300ms"/)
    assert.match(message, /expected body to match \/\^OK\$\/, got "Degraded/)
  })

  test('JSON paths match, and a mismatch names the path, the expected and the value seen', async () => {
    const server = await serve(healthy)
    const ok = await apply({
      hosts: [server.host],
      url: 'http://{host}/health',
      expect: { json: { status: 'Healthy', 'checks.db': true } },
      consecutive_successes: 1,
    })
    assert.equal(ok.hosts[server.host]?.passes, 1)
    const message = await applyFails({
      hosts: [server.host],
      url: 'http://{host}/health',
      expect: { json: { status: 'Healthy', 'checks.db': false, 'checks.cache': true } },
      consecutive_successes: 1,
      deadline: '100ms',
    })
    assert.match(message, /expected JSON checks\.db to be false, got true/)
    assert.match(message, /expected JSON checks\.cache to be true, got no checks\.cache/)
    const text = await serve(answer(200, 'Healthy'))
    assert.match(
      await applyFails({
        hosts: [text.host],
        url: 'http://{host}/',
        expect: { json: { status: 'Healthy' } },
        consecutive_successes: 1,
        deadline: '100ms',
      }),
      /expected a JSON body, got "Healthy"/,
    )
  })

  test('the Host header reaches the server, and over HTTPS it is also the TLS server name', async () => {
    const seen: Array<{ host?: string; servername?: string | false | null }> = []
    const record: Handler = (req, res) => {
      seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername })
      healthy(req, res)
    }
    const plain = await serve(record)
    await apply({
      hosts: [plain.host],
      url: 'http://{host}/health',
      host_header: 'gift.example.com',
      consecutive_successes: 1,
    })
    assert.equal(seen[0]?.host, 'gift.example.com')

    const secure = await serve(record, leaves.good)
    await apply({
      hosts: [secure.host],
      url: 'https://{host}/health',
      host_header: 'localhost',
      tls: { ca_file: caFile },
      consecutive_successes: 1,
    })
    assert.deepEqual(seen[1], { host: 'localhost', servername: 'localhost' })
  })
})

describe('iis.health certificates', () => {
  const https = (leaf: Leaf, tls: Record<string, unknown>) => ({
    url: 'https://{host}/health',
    tls: { ca_file: caFile, ...tls },
    consecutive_successes: 1,
    deadline: '200ms',
    leaf,
  })

  async function probeTls(leaf: Leaf, tls: Record<string, unknown>, ctx?: StepContext) {
    const server = await serve(healthy, leaf)
    const { leaf: _, ...params } = https(leaf, tls)
    return { host: server.host, params: { ...params, hosts: [server.host] }, ctx }
  }

  test('a certificate with 400 days left passes with no warning and outputs its days', async () => {
    const { host, params } = await probeTls(leaves.good, { warn_days: 30, fail_days: 7 })
    const out = await apply(params)
    assert.equal(out.warnings, undefined)
    assert.ok(
      Math.abs((out.hosts[host]?.cert_days ?? 0) - 400) < 1,
      `cert_days ${out.hosts[host]?.cert_days}`,
    )
  })

  test('a certificate 3 days from expiry warns under warn_days 10 and still passes above fail_days 2', async () => {
    const { ctx, warnings } = context()
    const { host, params } = await probeTls(leaves.expiring, { warn_days: 10, fail_days: 2 })
    const out = await apply(params, ctx)
    assert.deepEqual(out.warnings, [`${host}: certificate expires in 3 days (warn under 10)`])
    assert.equal(out.hosts[host]?.passes, 1)
    assert.equal(out.hosts[host]?.cert_days, 3)
    assert.deepEqual(warnings, [`${host}: certificate expires in 3 days (warn under 10)`])
  })

  test('the same certificate fails under fail_days 7', async () => {
    const { host, params } = await probeTls(leaves.expiring, { warn_days: 30, fail_days: 7 })
    const message = await applyFails(params)
    assert.match(
      message,
      new RegExp(`${host}: .*last failure: certificate expires in 3 days \\(fail under 7\\)`),
    )
  })

  test('a certificate from an untrusted CA fails unless insecure, which warns', async () => {
    const { params } = await probeTls(leaves.good, {})
    const message = await applyFails({ ...params, tls: {} })
    assert.match(message, /certificate not trusted .*tls\.ca_file/)
    const out = await apply({ ...params, tls: { insecure: true, warn_days: 500 } })
    assert.deepEqual(out.warnings?.[0], 'tls.insecure: certificates are not verified')
    assert.match(out.warnings?.[1] ?? '', /certificate expires in (399|400) days \(warn under 500\)/)
  })
})

describe('iis.health params', () => {
  test('invalid params are refused with messages an operator can act on', () => {
    const problems = (params: Record<string, unknown>) => {
      const result = iisHealthParams.safeParse({ hosts: ['a'], url: 'http://{host}/', ...params })
      return result.success ? [] : result.error.issues.map((i) => i.message)
    }
    assert.deepEqual(problems({}), [])
    assert.match(problems({ url: 'http://web/health' }).join(), /with \{host\} in it/)
    assert.match(problems({ method: 'HEAD', expect: { body: 'x' } }).join(), /HEAD answer has no body/)
    assert.match(problems({ tls: { warn_days: 1, fail_days: 5 } }).join(), /warn_days is at least fail_days/)
    assert.match(problems({ tls: { fail_days: 5 } }).join(), /tls checks need an https:\/\/ url/)
    assert.match(problems({ expect: { body_regex: '(' } }).join(), /not a valid regular expression/)
  })
})

// ---- server side, through the sandbox's SSM and its IIS model ----

describe('iis.health server side through SSM', () => {
  function iisInstances(
    count: number,
    pools: Record<string, 'Started' | 'Stopped'> = { GiftShop: 'Started' },
  ) {
    const fleet = createIisFleet()
    cleanups.push(aws.sandbox.world.ssm.respond(fleet.responder))
    const ids = Array.from({ length: count }, () => {
      const id = aws.sandbox.world.ec2.addInstance({ tags: { Role: 'web' } }).id
      fleet.addServer(id, { appPools: pools, sites: { GiftShop: 'Started' }, durationMs: 20 })
      return id
    })
    return { fleet, ids }
  }

  test('passes when every pool, site and service is up, and outputs what each instance reported', async () => {
    const { ids } = iisInstances(2)
    const server = await serve(healthy)
    const out = await apply(
      {
        hosts: [server.host],
        url: 'http://{host}/health',
        consecutive_successes: 1,
        server_side: { instances: ids, app_pools: ['GiftShop'], sites: ['GiftShop'] },
      },
      context(true).ctx,
    )
    for (const id of ids) {
      assert.equal(out.server_side?.[id]?.passed, true)
      assert.deepEqual(out.server_side?.[id]?.app_pools, { GiftShop: 'Started' })
    }
    const sent = aws.sandbox.world.ssm.commands().at(-1)
    assert.equal(sent?.documentName, 'AWS-RunPowerShellScript')
    const script = sent?.parameters.commands?.join('\n') ?? ''
    assert.ok(script.startsWith('# switchyard:iis-health v1\n'))
    assert.match(script, /Get-WebAppPoolState/)
    assert.match(script, /\nexit 0$/m)
  })

  test('a Stopped app pool fails, naming the pool and the instance', async () => {
    const { fleet, ids } = iisInstances(2)
    const [up, down] = ids as [string, string]
    fleet.setAppPool(down, 'GiftShop', 'Stopped')
    fleet.setService(down, 'W3SVC', 'Stopped')
    const server = await serve(healthy)
    const message = await applyFails(
      {
        hosts: [server.host],
        url: 'http://{host}/health',
        consecutive_successes: 1,
        deadline: '300ms',
        server_side: { instances: ids, app_pools: ['GiftShop', 'Reports'] },
      },
      context(true).ctx,
    )
    assert.match(message, /IIS not healthy on 2 instances/)
    assert.match(
      message,
      new RegExp(
        `${down}: app pool 'GiftShop' is Stopped; app pool 'Reports' is NotFound; service W3SVC is Stopped`,
      ),
    )
    assert.match(message, new RegExp(`${up}: app pool 'Reports' is NotFound`))
  })

  test('a server without the IIS module, or whose script fails, fails naming the instance and what it said', async () => {
    const { fleet, ids } = iisInstances(2)
    const [noModule, broken] = ids as [string, string]
    fleet.removeModule(noModule)
    fleet.failScript(broken, {
      stderr:
        'File C:\\ProgramData\\Amazon\\SSM\\_script.ps1 cannot be loaded because running scripts is disabled on this system.',
      exitCode: 1,
    })
    const server = await serve(healthy)
    const { ctx } = context(true)
    const params = paramsOf({
      hosts: [server.host],
      url: 'http://{host}/health',
      server_side: { instances: ids, app_pools: ['GiftShop'] },
    })
    const error = await iisHealthStep.check?.(ctx, params).then(
      () => assert.fail('the check passed'),
      (e: Error) => e,
    )
    assert.match(
      error?.message ?? '',
      new RegExp(`${noModule}: WebAdministration: The specified module 'WebAdministration' was not loaded`),
    )
    assert.match(error?.message ?? '', new RegExp(`${noModule}: .*app pool 'GiftShop' is Unknown`))
    assert.match(
      error?.message ?? '',
      new RegExp(
        `${broken}: the IIS check ended Failed, exit code 1 but printed no SWITCHYARD-IIS line: File C:.*running scripts is disabled`,
      ),
    )
  })
})

// ---- the IIS sandbox's health endpoints ----

describe('IIS sandbox health endpoints', () => {
  test('serve /health per instance on one port, and answer unhealthy, slow, flapping or 503 for a stopped pool', async () => {
    const fleet = createIisFleet()
    fleet.addServer('i-0000000000000aa01')
    const iis = await startIisSandbox({
      instances: [
        { instanceId: 'i-0000000000000aa01', address: '127.0.1.11' },
        { instanceId: 'i-0000000000000aa02', address: '127.0.1.12' },
      ],
      fleet,
    })
    cleanups.push(() => iis.close())
    const get = async (id: string) => {
      const res = await fetch(iis.urls[id] as string)
      return { status: res.status, body: await res.text() }
    }
    assert.deepEqual(await get('i-0000000000000aa01'), {
      status: 200,
      body: '{"status":"Healthy","instance":"i-0000000000000aa01"}',
    })
    iis.setHealth('i-0000000000000aa02', 'flapping')
    assert.deepEqual(
      [(await get('i-0000000000000aa02')).status, (await get('i-0000000000000aa02')).status],
      [200, 503],
    )
    iis.setDelay('i-0000000000000aa02', 150)
    iis.setHealth('i-0000000000000aa02', 'healthy')
    const started = Date.now()
    await get('i-0000000000000aa02')
    assert.ok(Date.now() - started >= 140)
    fleet.setAppPool('i-0000000000000aa01', 'DefaultAppPool', 'Stopped')
    assert.equal((await get('i-0000000000000aa01')).status, 503)
  })
})

// ---- end to end: a verify phase, then a shift gated on the same step ----

describe('iis.health end to end', () => {
  let iis: IisSandbox
  let zone: string
  const name = 'gift.iis.example.com'
  const ids: string[] = []

  before(async () => {
    const world = aws.sandbox.world
    const tier = await startWebTier(world, [21, 22], 'iis-e2e', 'GiftShop')
    iis = tier.iis
    ids.push(...tier.ids)
    zone = world.route53.addZone({ name: 'iis.example.com' }).id
    for (const [id, weight, target] of [
      ['onprem', 100, 'lb.onprem.example.com'],
      ['aws', 0, 'alb-1.us-east-1.elb.amazonaws.com'],
    ] as const)
      world.route53.putRecord(zone, {
        Name: name,
        Type: 'CNAME',
        SetIdentifier: id,
        Weight: weight,
        TTL: 1,
        ResourceRecords: [{ Value: target }],
      })
  })
  after(() => iis.close())

  const runbook = () => `version: 1
name: iis-e2e
targets:
  aws-web:
    ec2: { tags: { Role: iis-e2e } }
phases:
  - id: verify
    steps:
      - id: web-health
        uses: iis.health
        with:
          hosts: "\${{ targets.aws-web.hosts }}"
          url: "http://{host}:${iis.port}/health"
          host_header: ${name}
          expect: { json: { status: Healthy } }
          consecutive_successes: 2
          interval: 50ms
          deadline: 10s
          server_side:
            instances: "\${{ targets.aws-web.instances }}"
            app_pools: [GiftShop]
  - id: traffic
    steps:
      - id: shift
        uses: route53.shift
        with:
          zone: ${zone}
          record: { name: ${name}, type: CNAME }
          from: onprem
          to: aws
          stages: [50, 100]
          bake: 3s
          poll: 50ms
          gates: [{ step: web-health }]
`

  test('a host turning unhealthy during the bake rolls the shift back, and the failure names the host', async () => {
    const dir = aws.workspace(runbook())
    const run = aws.switchyard(dir, ['run', 'runbook.yaml'])
    const history = () => aws.sandbox.world.route53.history.filter((b) => b.zoneId === zone)
    for (let i = 0; i < 2000 && history().length < 1; i++) await delay(10)
    assert.equal(history().length, 1, 'stage 1 was applied')
    const sick = ids[1] as string
    iis.setHealth(sick, 'unhealthy')
    const result = await run
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.deepEqual(aws.sandbox.world.route53.weights(zone, name, 'CNAME'), { onprem: 100, aws: 0 })
    assert.match(
      result.stdout,
      /step web-health failed: not healthy: 127\.0\.1\.22: expected status 200, got 503 "\{"status":"Unhealthy"/,
    )
    const verified = journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === 'web-health')
      ?.outputs as {
      hosts: Record<string, { passes: number }>
      server_side: Record<string, { passed: boolean }>
    }
    assert.deepEqual(Object.keys(verified.hosts).sort(), ['127.0.1.21', '127.0.1.22'])
    for (const host of Object.values(verified.hosts)) assert.equal(host.passes, 2)
    for (const id of ids) assert.equal(verified.server_side[id]?.passed, true)
    assert.ok(
      iis.hostsSeen(sick).every((h) => h === name),
      'every probe carried the site name in its Host header',
    )
  })
})
