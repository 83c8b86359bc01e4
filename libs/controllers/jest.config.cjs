module.exports = require('../../jest.preset.cjs')('controllers', __dirname);
