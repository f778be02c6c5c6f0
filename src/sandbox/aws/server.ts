import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { autoScalingEndpoint } from './autoscaling/endpoint.js'
import { type Clock, systemClock } from './clock.js'
import { cloudWatchEndpoint } from './cloudwatch/endpoint.js'
import { ec2Endpoint } from './ec2/endpoint.js'
import { elbv2Endpoint } from './elbv2/endpoint.js'
import { type Fault, FaultQueue, faultError } from './faults.js'
import { requestId as newRequestId } from './ids.js'
import { BodyTooLargeError, readBody } from './read-body.js'
import { attemptOf, isMutating, type LoggedCall, RequestLog } from './request-log.js'
import { errorReply, type Reply, sendReply, successReply } from './respond.js'
import { route53Endpoint } from './route53/endpoint.js'
import { s3Endpoint } from './s3/endpoint.js'
import type { DecodedCall, SandboxRequest, ServiceEndpoint } from './service.js'
import { ServiceError } from './service-error.js'
import { snsEndpoint } from './sns/endpoint.js'
import { ssmEndpoint } from './ssm/endpoint.js'
import { stsEndpoint } from './sts/endpoint.js'
import { type AwsWorld, createAwsWorld } from './world.js'

export const MAX_BODY_BYTES = 1024 * 1024

export interface AwsSandboxOptions {
  /** Default: a random free port on 127.0.0.1. */
  port?: number
  /** The account in ARNs, owner ids and GetCallerIdentity; default 123456789012. */
  account?: string
  /** The region in ARNs; default us-east-1. The endpoint answers whatever region the client signs for. */
  region?: string
  /** The clock every delay and timestamp reads (milliseconds); tests may pass one they move by hand. */
  now?: Clock
}

export interface AwsSandbox {
  /** The endpoint to give the SDK: `endpoint` option or AWS_ENDPOINT_URL. */
  url: string
  world: AwsWorld
  log: RequestLog
  faults: FaultQueue
  close(): Promise<void>
}

/** `Credential=AKID/20261126/us-east-1/route53/aws4_request` → `route53`. */
function signingNameOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined
  return /Credential=[^/,\s]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1]
}

function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new ServiceError(500, 'InternalFailure', `The sandbox failed to answer: ${message}`)
}

/**
 * Starts the local AWS endpoint: one HTTP port that answers Route 53, EC2, SSM, CloudWatch, SNS, STS,
 * S3, Elastic Load Balancing v2 and Auto Scaling for the real SDK clients, from an in-memory world.
 * Signatures are not checked.
 */
export async function startAwsSandbox(options: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  const clock = options.now ?? systemClock
  const world = createAwsWorld({
    clock,
    account: options.account ?? '123456789012',
    region: options.region ?? 'us-east-1',
  })
  const log = new RequestLog()
  const faults = new FaultQueue()
  const closing = new AbortController()
  const endpoints: ServiceEndpoint[] = [
    route53Endpoint(world.route53, clock),
    ec2Endpoint(world.ec2, () => world.identity().account),
    ssmEndpoint(world.ssm, world.ec2, world.identity),
    cloudWatchEndpoint(world.cloudwatch, world.identity),
    snsEndpoint(world.sns, clock),
    stsEndpoint(world.sts),
    s3Endpoint(world.s3, clock),
    elbv2Endpoint(world.elbv2),
    autoScalingEndpoint(world.autoscaling),
  ]

  /** Decodes and runs one call, shaped by the fault it drew; undefined means "send nothing". */
  async function answer(
    endpoint: ServiceEndpoint,
    operation: string,
    request: SandboxRequest,
    entry: LoggedCall,
    requestId: string,
  ): Promise<Reply | undefined> {
    let decoded: DecodedCall | ServiceError
    try {
      decoded = endpoint.decode(request, operation)
      entry.params = decoded.params
    } catch (error) {
      decoded = asServiceError(error)
    }
    const fault: Fault | undefined = faults.take(endpoint.name, operation)
    if (fault) entry.fault = fault.kind
    if (fault?.kind === 'drop') return undefined
    if (fault?.kind === 'throttle' || fault?.kind === 'server-error')
      return errorReply(endpoint, faultError(endpoint, fault), requestId)

    let reply: Reply
    if (decoded instanceof ServiceError) reply = errorReply(endpoint, decoded, requestId)
    else {
      try {
        reply = successReply(endpoint, operation, await decoded.run(), requestId)
      } catch (error) {
        reply = errorReply(endpoint, asServiceError(error), requestId)
      }
    }
    if (fault?.kind === 'slow') {
      // The call has taken effect; only its answer is late, as when a response is lost in transit.
      try {
        await sleep(fault.delayMs ?? 1000, undefined, { signal: closing.signal })
      } catch {
        return undefined
      }
    }
    return reply
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId()
    const entry = log.record({
      service: 'unknown',
      operation: 'Unknown',
      mutating: false,
      at: clock(),
      params: undefined,
      status: 0,
      attempt: attemptOf(req.headers['amz-sdk-request']),
    })
    const send = (reply: Reply) => {
      entry.status = reply.status
      if (reply.error) entry.error = reply.error
      sendReply(res, reply, requestId)
    }
    const signingName = signingNameOf(req.headers.authorization)
    let endpoint = endpoints.find((e) => e.signingName === signingName)
    if (endpoint) entry.service = endpoint.name

    let body: string
    try {
      body = await readBody(req, MAX_BODY_BYTES)
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error
      res.setHeader('connection', 'close')
      send(errorReply(endpoint, new ServiceError(413, 'RequestEntityTooLarge', error.message), requestId))
      return
    }
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid')
    const request: SandboxRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    }

    endpoint ??= endpoints.find((e) => e.recognises(request))
    if (!endpoint) {
      const where = `${request.method} ${request.path} (signing name '${signingName ?? ''}')`
      send(
        errorReply(
          undefined,
          new ServiceError(400, 'UnknownService', `No emulated service answers ${where}`),
          requestId,
        ),
      )
      return
    }
    entry.service = endpoint.name
    const operation = endpoint.operationOf(request)
    if (!operation) {
      const code = endpoint.protocol.startsWith('awsJson') ? 'UnknownOperationException' : 'InvalidAction'
      const message = `No ${endpoint.name} operation answers ${request.method} ${request.path}`
      // An unemulated Route 53 write still counts as one, so "no mutating calls" cannot pass by accident.
      entry.mutating = endpoint.protocol.startsWith('restXml') && request.method !== 'GET'
      send(errorReply(endpoint, new ServiceError(400, code, message), requestId))
      return
    }
    entry.operation = operation
    entry.mutating = isMutating(operation)

    const reply = await answer(endpoint, operation, request, entry, requestId)
    if (reply) send(reply)
    else req.socket.destroy()
  }

  const server = createServer((req, res) => {
    serve(req, res).catch(() => req.socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    world,
    log,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
