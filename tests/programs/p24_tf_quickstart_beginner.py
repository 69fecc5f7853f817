# Source: https://www.tensorflow.org/tutorials/quickstart/beginner
# (https://github.com/tensorflow/docs/blob/master/site/en/tutorials/quickstart/beginner.ipynb)
# "TensorFlow 2 quickstart for beginners", The TensorFlow Authors. Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.py's MNIST stand-in),
# the notebook's bare expressions kept as assignments, and the last lines, which report
# the key figures (`history =` and `results =` keep fit's and evaluate's results).
import os
if os.environ.get("REFERENCE") == "tensorflow":
    import tensorflow as tf
elif os.environ.get("REFERENCE"):
    import types
    import keras
    tf = types.SimpleNamespace(keras=keras)  # Keras 3 alone: only tf.keras is there
else:
    import fastnn as tf
import numpy as np
from standin import mnist as _mnist_stand_in, report

print("TensorFlow version:", tf.__version__)

mnist = _mnist_stand_in
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
probs = tf.nn.softmax(predictions).numpy()

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
first_loss = loss_fn(y_train[:1], predictions).numpy()

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])

history = model.fit(x_train, y_train, epochs=5)

results = model.evaluate(x_test,  y_test, verbose=2)

probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])

test_probs = probability_model(x_test[:5])

report(initial_loss=first_loss, loss=history.history["loss"][-1], test_loss=results[0],
       test_acc=results[1], prob_sum=np.asarray(test_probs).sum(axis=1).mean())
