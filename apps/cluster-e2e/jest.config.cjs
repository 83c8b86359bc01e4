module.exports = require('../../jest.preset.cjs')('cluster-e2e', __dirname);
