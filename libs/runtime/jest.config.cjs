module.exports = require('../../jest.preset.cjs')('runtime', __dirname);
