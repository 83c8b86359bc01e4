module.exports = require('../../jest.preset.cjs')('scheduler-lib', __dirname);
