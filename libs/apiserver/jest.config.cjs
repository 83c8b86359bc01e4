module.exports = require('../../jest.preset.cjs')('apiserver-lib', __dirname);
