import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { ManagedInstanceIds } from '../ec2/instance-ids.js'

export const DEFAULTS = {
  consecutiveSuccesses: 3,
  interval: '5s',
  deadline: '2m',
  requestTimeout: '10s',
  warmup: 0,
  services: ['W3SVC', 'WAS'],
} as const

const compiles = (pattern: string) => {
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])

const Status = z.int().check(z.gte(100), z.lte(599))

const Expect = z.strictObject({
  status: z.optional(
    z
      .union([Status, z.array(Status).check(z.minLength(1))])
      .check(z.describe('The HTTP status (or list of statuses) a healthy host answers (default 200)')),
  ),
  body: z.optional(
    z.string().check(z.minLength(1), z.describe('Text the body must contain, e.g. "Healthy"')),
  ),
  body_regex: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.refine(compiles, { error: 'body_regex is not a valid regular expression' }),
        z.describe('A regular expression (JavaScript syntax) the body must match'),
      ),
  ),
  json: z.optional(
    z
      .record(z.string().check(z.minLength(1)), Scalar)
      .check(
        z.describe(
          'The body is JSON and each dotted path holds the value given, e.g. { "status": "Healthy", "checks.db": true }',
        ),
      ),
  ),
})

const Tls = z
  .strictObject({
    warn_days: z.optional(
      z.int().check(z.gte(0), z.describe('Warn when the certificate expires in fewer days than this')),
    ),
    fail_days: z.optional(
      z.int().check(z.gte(0), z.describe('Fail when the certificate expires in fewer days than this')),
    ),
    ca_file: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.describe('PEM file of the CA(s) that sign the certificate, relative to the runbook'),
        ),
    ),
    insecure: z.optional(
      z.boolean().check(z.describe('Skip certificate verification (expiry is still read); the step warns')),
    ),
  })
  .check(
    z.refine((t) => t.warn_days === undefined || t.fail_days === undefined || t.warn_days >= t.fail_days, {
      error: 'warn_days is at least fail_days: the warning comes before the failure',
    }),
    z.describe('HTTPS certificate checks, as clients see the certificate (SNI included)'),
  )

const ServerSide = z
  .strictObject({
    instances: ManagedInstanceIds,
    app_pools: z.optional(
      z
        .array(z.string().check(z.minLength(1)))
        .check(z.describe('IIS application pools that must be Started (Get-WebAppPoolState)')),
    ),
    sites: z.optional(
      z
        .array(z.string().check(z.minLength(1)))
        .check(z.describe('IIS sites that must be Started (Get-WebsiteState)')),
    ),
    services: z.optional(
      z
        .array(z.string().check(z.minLength(1)))
        .check(z.describe('Windows services that must be Running (default [W3SVC, WAS])')),
    ),
  })
  .check(
    z.describe(
      'Checks on the servers through SSM Run Command (AWS-RunPowerShellScript): app pools, sites, services',
    ),
  )

export const iisHealthParams = z
  .strictObject({
    hosts: z.array(z.string().check(z.minLength(1))).check(
      z.minLength(1, { error: 'hosts lists at least one host' }),
      z.refine((hosts) => new Set(hosts).size === hosts.length, { error: 'hosts lists a host twice' }),
      z.describe('Hosts to probe, each put into url as {host}, e.g. "${{ targets.aws-web.hosts }}"'),
    ),
    url: z.string().check(
      z.regex(/^https?:\/\/.*\{host\}/, {
        error: 'url is an http:// or https:// URL with {host} in it, e.g. http://{host}/health',
      }),
      z.describe('The URL probed on each host, with {host} in it, e.g. https://{host}/health'),
    ),
    host_header: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.describe(
            "Host header (and TLS server name) sent, to reach a server by address with the site's name",
          ),
        ),
    ),
    method: z.optional(z.enum(['GET', 'HEAD']).check(z.describe('GET (default) or HEAD'))),
    expect: z.optional(Expect.check(z.describe('What a healthy answer looks like (default: status 200)'))),
    max_latency: z.optional(
      Duration.check(z.describe('A probe slower than this (until the body is read) fails')),
    ),
    tls: z.optional(Tls),
    consecutive_successes: z.optional(
      z
        .int()
        .check(
          z.gte(1),
          z.lte(1000),
          z.describe('Passes in a row each host needs before the step succeeds (default 3)'),
        ),
    ),
    interval: z.optional(Duration.check(z.describe('Time between probes of a host (default 5s)'))),
    deadline: z.optional(
      Duration.check(z.describe('The step fails if some host is not healthy by then (default 2m)')),
    ),
    request_timeout: z.optional(
      Duration.check(z.describe('A probe with no full answer by then fails (default 10s)')),
    ),
    warmup: z.optional(
      z
        .int()
        .check(
          z.gte(0),
          z.lte(100),
          z.describe('Requests sent to each host first and not judged, to warm the app (default 0)'),
        ),
    ),
    server_side: z.optional(ServerSide),
  })
  .check(
    z.refine((p) => p.method !== 'HEAD' || (!p.expect?.body && !p.expect?.body_regex && !p.expect?.json), {
      error: 'a HEAD answer has no body: body, body_regex and json need method GET',
      path: ['method'],
    }),
    z.refine((p) => p.tls === undefined || !/^http:/.test(p.url), {
      error: 'tls checks need an https:// url',
      path: ['tls'],
    }),
  )

export type IisHealthParams = z.infer<typeof iisHealthParams>

export const iisHealth = defineStep({
  type: 'iis.health',
  summary:
    'Probe each web server over HTTP(S) until it passes N times in a row, and optionally check IIS app pools, sites and services through SSM',
  params: iisHealthParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  // HTTP probes need no AWS; server_side reaches SSM through ctx.aws, built on first use.
  usesAws: (p) => p.server_side !== undefined,
  load: () => import('./health-step.js').then((m) => m.iisHealthStep),
})
