module.exports = require('../../jest.preset.cjs')('storage', __dirname);
