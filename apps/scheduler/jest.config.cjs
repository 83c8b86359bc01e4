module.exports = require('../../jest.preset.cjs')('scheduler', __dirname);
