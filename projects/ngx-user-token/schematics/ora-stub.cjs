// The schematics test runner loads the package-manager task, which loads the ESM-only spinner
// `ora`; jest (CommonJS) cannot. No task runs in these tests, so a spinner that does nothing will do.
const spinner = {
  start: () => spinner,
  stop: () => spinner,
  succeed: () => spinner,
  fail: () => spinner,
};
module.exports = () => spinner;
module.exports.default = module.exports;
