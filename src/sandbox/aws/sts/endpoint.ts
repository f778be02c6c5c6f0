import { queryEndpoint } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import type { StsWorld } from './world.js'

export function stsEndpoint(world: StsWorld): ServiceEndpoint {
  return {
    name: 'sts',
    protocol: 'awsQuery',
    signingName: 'sts',
    namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
    ...queryEndpoint('2011-06-15', {
      GetCallerIdentity: () => ({ ...world.identity }),
    }),
  }
}
