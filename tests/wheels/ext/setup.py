from setuptools import Extension, setup

setup(ext_modules=[Extension("ext", ["ext.c"])])
