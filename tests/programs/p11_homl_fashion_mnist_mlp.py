# Source: https://github.com/ageron/handson-ml3/blob/main/10_neural_nets_with_keras.ipynb
# "Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow", 3rd edition,
# chapter 10: "Building an Image Classifier Using the Sequential API".
# Author: Aurélien Géron. Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.py's Fashion-MNIST
# stand-in: 6,000 + 1,000 images, so the validation part is the last 500 instead of
# 5000), epochs 30 -> 5, and the last line, which reports the key figures (`results =`
# keeps evaluate's result for it). Plots and bare display expressions are left out.
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
from standin import fashion_mnist as _fashion_mnist_stand_in, report

fashion_mnist = _fashion_mnist_stand_in.load_data()
(X_train_full, y_train_full), (X_test, y_test) = fashion_mnist
X_train, y_train = X_train_full[:-500], y_train_full[:-500]
X_valid, y_valid = X_train_full[-500:], y_train_full[-500:]

X_train, X_valid, X_test = X_train / 255., X_valid / 255., X_test / 255.

class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

tf.random.set_seed(42)
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.Dense(300, activation="relu"),
    tf.keras.layers.Dense(100, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax")
])
model.summary()
hidden1 = model.layers[1]
weights, biases = hidden1.get_weights()
assert weights.shape == (784, 300) and biases.shape == (300,)

model.compile(loss="sparse_categorical_crossentropy",
              optimizer="sgd",
              metrics=["accuracy"])

history = model.fit(X_train, y_train, epochs=5,
                    validation_data=(X_valid, y_valid))
print(history.params)
print(history.epoch)

results = model.evaluate(X_test, y_test)

X_new = X_test[:3]
y_proba = model.predict(X_new)
y_proba.round(2)
y_pred = y_proba.argmax(axis=-1)
np.array(class_names)[y_pred]

report(loss=history.history["loss"][-1], val_accuracy=history.history["val_accuracy"][-1],
       test_loss=results[0], test_acc=results[1])
