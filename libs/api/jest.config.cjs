module.exports = require('../../jest.preset.cjs')('api', __dirname);
