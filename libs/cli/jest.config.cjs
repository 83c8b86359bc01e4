module.exports = require('../../jest.preset.cjs')('cli', __dirname);
