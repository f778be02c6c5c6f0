// The entry bin/run.js imports: oclif's execute, bundled (scripts/build.js) into the same chunk of
// oclif that the commands extend, so a run loads one copy of oclif in a few files.
export { execute } from '@oclif/core'
