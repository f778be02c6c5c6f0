// Customers of the sandbox's platform: clients that resolve the record through the sandbox's Route 53,
// keep each answer for its TTL, and send requests at a fixed rate to whichever site the answer leads to.
import { Agent } from 'node:http'
import { performance } from 'node:perf_hooks'
import { type Clock, systemClock } from '../aws/clock.js'
import type { Route53World } from '../aws/route53/world.js'
import { awakeTime } from './awake-time.js'
import { cachingResolver } from './caching-resolver.js'
import { type RequestResult, type SentRequest, sendRequest } from './request.js'
import { createTally, type LoadSummary } from './tally.js'
import { answerQuery, type DnsQuestion } from './weighted-answer.js'

export type { LoadBucket, LoadFailure, LoadSummary } from './tally.js'

export type Site = 'onprem' | 'aws'

/** A site's load balancer as customers reach it: the web servers it spreads requests over. */
export interface Frontend {
  site: Site
  /** The page each web server serves behind it; requests go round the list, healthy or not. */
  urls: string[]
}

export interface LoadOptions {
  route53: Route53World
  /** The record customers resolve. */
  question: DnsQuestion
  /** Where each DNS answer (the record's value) leads. */
  frontends: Record<string, Frontend>
  /** Requests a second, spread evenly. */
  rps: number
  /** Clients with a resolver cache each (default 20): traffic moves in steps of one client's TTL. */
  clients?: number
  /** Timestamps and TTLs read this clock (default the system's). */
  clock?: Clock
  random?: () => number
  /** A request not answered within this long, of the process being awake to answer, failed (default 30 s: a loaded machine can be slow to accept). */
  timeoutMs?: number
}

export interface LoadRun {
  /** The tally of the requests answered so far, while the load goes on. */
  sofar(): LoadSummary
  /** Stops sending, waits for the requests in flight, and tallies them all. */
  stop(): Promise<LoadSummary>
}

export function startLoad(options: LoadOptions): LoadRun {
  if (!(options.rps > 0)) throw new RangeError(`requests a second must be above 0, not ${options.rps}`)
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const ask = () => answerQuery(options.route53, options.question, random)
  const resolvers = Array.from({ length: options.clients ?? 20 }, () => cachingResolver(ask, clock))
  const turns = new Map<Frontend, number>()
  // A connection each, as many customers make: a kept-alive one the server is closing would fail for the wrong reason.
  const agent = new Agent({ keepAlive: false })
  const tally = createTally(clock(), options.rps)
  const inFlight = new Set<Promise<void>>()
  const awake = awakeTime()
  const timeoutMs = options.timeoutMs ?? 30000
  const waiting = new Map<SentRequest, number>()
  awake.onTick((now) => {
    for (const [request, deadline] of waiting)
      if (now >= deadline) request.abandon(`no answer in ${timeoutMs} ms`)
  })

  const sendOne = (client: number) => {
    const sentAt = clock()
    const answer = resolvers[client % resolvers.length]?.(sentAt)
    const frontend = answer && options.frontends[answer.value]
    let url: string | undefined
    let pending: Promise<RequestResult>
    if (!frontend)
      pending = Promise.resolve({
        ok: false,
        reason: answer ? `no site answers ${answer.value}` : 'NXDOMAIN',
      })
    else {
      const turn = turns.get(frontend) ?? 0
      turns.set(frontend, turn + 1)
      url = frontend.urls[turn % frontend.urls.length] as string
      const request = sendRequest(url, agent)
      waiting.set(request, awake.now() + timeoutMs)
      pending = request.done.finally(() => waiting.delete(request))
    }
    const done = pending.then((result) => {
      tally.add({ sentAt, answeredAt: clock(), ...(frontend ? { site: frontend.site } : {}), url, result })
      inFlight.delete(done)
    })
    inFlight.add(done)
  }

  const started = performance.now()
  let sent = 0
  const timer = setInterval(
    () => {
      const due = Math.floor(((performance.now() - started) * options.rps) / 1000)
      while (sent < due) sendOne(sent++)
    },
    Math.max(1, Math.floor(1000 / options.rps)),
  )

  return {
    sofar: () => tally.summary(clock()),
    async stop() {
      clearInterval(timer)
      while (inFlight.size > 0) await Promise.all(inFlight)
      awake.stop()
      agent.destroy()
      return tally.summary(clock())
    },
  }
}
