module.exports = require('../../jest.preset.cjs')('controller-manager', __dirname);
