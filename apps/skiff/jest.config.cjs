module.exports = require('../../jest.preset.cjs')('skiff', __dirname);
