module.exports = require('../../jest.preset.cjs')('service', __dirname);
