export { startDemoLoad } from './demo.js'
export {
  type Frontend,
  type LoadBucket,
  type LoadFailure,
  type LoadOptions,
  type LoadRun,
  type LoadSummary,
  type Site,
  startLoad,
} from './load.js'
export { answerQuery, type DnsAnswer, type DnsQuestion } from './weighted-answer.js'
