module.exports = require('../../jest.preset.cjs')('proxy-lib', __dirname);
