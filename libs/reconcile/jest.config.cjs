module.exports = require('../../jest.preset.cjs')('reconcile', __dirname);
